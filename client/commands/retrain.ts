/** Kept only for demo.ts, which imports uiUrl from here; goes when the demo moves and imports ../ui-url. */
export { uiUrl } from '../ui-url';

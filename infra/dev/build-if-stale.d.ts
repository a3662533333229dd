/** Types of ./build-if-stale.js (a plain script, run before the TypeScript tooling is there). */
export declare function buildIfStale(options?: { quiet?: boolean }): boolean;
export declare function isStale(): boolean;

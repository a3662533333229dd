/**
 * The project's custom search attributes. Workflows upsert them, the CLI filters by them, the dev
 * server and tests register them, and the Temporal UI shows them as columns.
 * The SQLite dev server allows at most 10 custom Keyword attributes: keep within that.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MlPipeline = defineSearchAttributeKey('MlPipeline', SearchAttributeType.KEYWORD);
export const MlModel = defineSearchAttributeKey('MlModel', SearchAttributeType.KEYWORD);
export const MlModelVersion = defineSearchAttributeKey('MlModelVersion', SearchAttributeType.KEYWORD);
export const MlDatasetVersion = defineSearchAttributeKey('MlDatasetVersion', SearchAttributeType.KEYWORD);
export const MlStage = defineSearchAttributeKey('MlStage', SearchAttributeType.KEYWORD);
export const MlEndpoint = defineSearchAttributeKey('MlEndpoint', SearchAttributeType.KEYWORD);
export const MlTrigger = defineSearchAttributeKey('MlTrigger', SearchAttributeType.KEYWORD);
export const MlPrimaryMetric = defineSearchAttributeKey('MlPrimaryMetric', SearchAttributeType.DOUBLE);

/** Every custom search attribute, in registration order. */
export const ML_SEARCH_ATTRIBUTES = [
  MlPipeline,
  MlModel,
  MlModelVersion,
  MlDatasetVersion,
  MlStage,
  MlEndpoint,
  MlTrigger,
  MlPrimaryMetric,
] as const;

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function searchAttributeCliArgs(): string[] {
  return ML_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}

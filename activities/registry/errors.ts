/** Registry failures (common/failures/registry.ts and input.ts), for this folder's modules. */
export {
  AliasNotFoundError,
  InvalidArgumentError,
  InvalidNameError,
  InvalidTransitionError,
  ModelNotFoundError,
  RegistryError,
  VersionNotFoundError,
  type RegistryFailureType,
} from '../../common/failures';

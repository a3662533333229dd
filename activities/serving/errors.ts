/** Serving failures (common/failures/serving.ts), for this folder's modules. */
export {
  EndpointNotFoundError,
  GatewayAdminError,
  GatewayRejectedError,
  InvalidServingArgumentError,
  ServingError,
  ServingUnavailableError,
  VariantFailedError,
  VariantNotFoundError,
  VariantNotReadyError,
  type ServingFailureType,
} from '../../common/failures';

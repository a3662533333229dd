/**
 * The local stack behind `mlops dev up|status|down`: the Temporal dev server (SQLite under the
 * home folder, the project's search attributes registered), for an S3 store MinIO, and the
 * inference gateway (`mlops gateway`, gateway/).
 *
 * - stack-up.ts: `stackUp` starts what is missing in the background and waits until healthy.
 * - stack-status.ts: `stackStatus` reads `.mlops/stack.json` and checks each recorded process.
 * - stack-down.ts: `stackDown` stops only what `stackUp` started.
 * - stack-launch.ts: each piece's command line, ports, record and health probe (Temporal's in
 *   stack-temporal.ts, MinIO's helpers in minio.ts).
 * - processes.ts: detached processes, recognised by pid and command line so a recycled pid is
 *   never mistaken for ours, stopped by process group.
 */
export { STACK_DEFAULTS, stackUp, type StackUpOptions, type StackUpResult, type UpOutcome } from './stack-up';
export {
  stackStatus,
  type GatewayStatus,
  stackPaths,
  type MinioStatus,
  type PieceName,
  type PieceState,
  type StackStatus,
  type TemporalStatus,
} from './stack-status';
export { stackDown, type StackDownResult, type StoppedPiece } from './stack-down';

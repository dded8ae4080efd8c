/**
 * The slice of a pino logger the inference layer uses. Any pino logger fits; tests and scripts that
 * do not care pass nothing and get `SILENT_LOGGER`.
 */
export interface InferenceLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export const SILENT_LOGGER: InferenceLogger = {
  info() {},
  warn() {},
  debug() {},
};

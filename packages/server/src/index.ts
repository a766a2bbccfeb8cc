/** `@hush/server`: public API for embedding the relay (the CLI's `hush server`) and tests. */
export { buildApp, registerRoutes, toHttpError, type RouteGroup } from './app.js';
export {
  ConfigError,
  defaultDataDir,
  helpText,
  OPTIONS,
  parseConfig,
  type ServerConfig,
} from './config.js';
export type { Bus, Caller, Context, EventNotice } from './context.js';
export { ERRORS, fail, HttpError, type ErrorCode } from './errors.js';
export { registerBus, registerTask, startServer, type RunningServer } from './server.js';

/**
 * Registers the route groups, buses and background tasks of each area. Each module calls
 * registerRoutes / registerBus / registerTask when imported, so app.ts and server.ts stay
 * small and areas do not edit each other's files.
 */
import './routes/objects.js';
import './routes/inbox.js';
import './routes/blobs.js';
import './routes/events.js';
import './routes/ops.js';
import './push/buses.js';
import './routes/openapi.js';

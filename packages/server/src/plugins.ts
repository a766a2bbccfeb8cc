/**
 * Registers the optional route groups, buses and background tasks. Each module adds itself
 * here so app.ts and server.ts stay small.
 */
export {};

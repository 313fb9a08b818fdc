export * from './agent-protocol';
export * from './assistant';
export * from './auth';
export * from './errors';
export * from './events';
export * from './fleet';
export * from './inputs';
export * from './workflow';

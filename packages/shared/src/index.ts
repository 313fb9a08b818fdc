export * from './agent-protocol';
export * from './errors';
export * from './events';
export * from './fleet';
export * from './inputs';
export * from './workflow';
export * from './auth';

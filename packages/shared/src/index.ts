export * from './errors';
export * from './events';
export * from './inputs';
export * from './workflow';
export * from './agent-protocol';

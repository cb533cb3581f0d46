/** Every workflow the worker hosts. */
export * from './notifications';
export * from './checkout';
export * from './housekeeping';
export * from './webhooks';

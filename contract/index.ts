/**
 * The shared contract: names, ids, states, rules and durations that api/, workflows/, activities/ and workers/ must
 * agree on. Pure values and types only (workflow code imports it), and nothing else from the project.
 */
export * from './cart';
export * from './checkout';
export * from './durations';
export * from './notifications';
export * from './orders';
export * from './housekeeping';
export * from './search-attributes';
export * from './money';
export * from './text';
export * from './webhooks';
export * from './webhook-dispatch';

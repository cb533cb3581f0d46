/** notifyOrder: sends one order notification on its own, so a slow or failing channel never holds up an order. */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { NotifyOrderInput } from './types';

const EMAIL = { startToCloseTimeout: '30s', retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 } };

const { sendOrderNotification } = proxyActivities<ReturnType<typeof createActivities>>(EMAIL);

export async function notifyOrder(input: NotifyOrderInput): Promise<void> {
  await sendOrderNotification(input);
}

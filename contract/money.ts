/** Money as people read it: the emails and the checkout's workflow summary format amounts the same way. */

/** Fixed locale so emails (and their snapshots) do not change with the machine's locale. */
export const LOCALE = 'en-US';

/** Building a NumberFormat costs far more than using one (it showed in the checkout profile): one per currency. */
const formats = new Map<string, { fmt: Intl.NumberFormat; digits: number }>();

/** Formats integer minor units in the order currency, honouring the currency's own number of decimals (JPY has 0). */
export function formatMoney(minor: number, currency: string): string {
  let f = formats.get(currency);
  if (!f) {
    const fmt = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
    f = { fmt, digits: fmt.resolvedOptions().maximumFractionDigits ?? 2 };
    formats.set(currency, f);
  }
  return f.fmt.format(minor / 10 ** f.digits);
}

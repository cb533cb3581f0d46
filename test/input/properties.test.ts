/**
 * Property-based tests (fast-check) of the pure pieces the API's promises rest on: the idempotency request hash and
 * order ids, catalog cursors, money formatting, and the text rule.
 */
import fc from 'fast-check';
import { decodeCursor, encodeCursor, type Cursor, type SortDir, type SortField } from '../../api/catalog/cursor';
import { canonicalJson, orderIdFor, requestHash } from '../../api/orders/ids';
import { HttpProblem } from '../../api/problem';
import { text } from '../../api/text';
import { formatMoney } from '../../activities/notifications/templates/format';
import { MAX_CART_TOTAL_CENTS, storableText, textProblem } from '../../contract';

/** A deep copy of a JSON value with the keys of every object in another order. */
const reordered = (value: unknown, flip: boolean): unknown => {
  if (Array.isArray(value)) return value.map((v) => reordered(v, flip));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, reordered(v, !flip)] as const);
    return Object.fromEntries(flip ? entries.reverse() : entries.sort(([a], [b]) => b.localeCompare(a)));
  }
  return value;
};

/** Strings the text rule accepts: what an Idempotency-Key or a product name can be. */
const acceptedText = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => textProblem(s) === undefined);

describe('idempotency: request hash and order ids', () => {
  test('the hash ignores key order at every level, and undefined members', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (body, flip) => {
        expect(requestHash(reordered(body, flip))).toBe(requestHash(body));
        if (body && typeof body === 'object' && !Array.isArray(body))
          expect(requestHash({ ...body, extra: undefined })).toBe(requestHash(body));
      }),
    );
  });

  test('canonical JSON is JSON of the same value, so two bodies hash alike only when they are equal', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(JSON.parse(canonicalJson(a))).toEqual(JSON.parse(JSON.stringify(a)));
        const same = canonicalJson(a) === canonicalJson(b);
        expect(requestHash(a) === requestHash(b)).toBe(same);
      }),
    );
  });

  test('distinct (customer, key) pairs never share an order id; the same pair always gives the same one', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), acceptedText, acceptedText, (c1, c2, k1, k2) => {
        expect(orderIdFor(c1, k1)).toBe(orderIdFor(c1, k1));
        if (c1 !== c2 || k1 !== k2) expect(orderIdFor(c1, k1)).not.toBe(orderIdFor(c2, k2));
      }),
    );
  });
});

describe('catalog cursors', () => {
  const field = fc.constantFrom<SortField>('price', 'name', 'createdAt', 'relevance');
  const dir = fc.constantFrom<SortDir>('asc', 'desc');
  const microIso = fc
    .tuple(fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), fc.nat(999))
    .map(([d, us]) => d.toISOString().replace(/Z$/, `${String(us).padStart(3, '0')}Z`));
  const cursorFor = (f: SortField, d: SortDir) =>
    fc.record({
      s: fc.constant(`${f}:${d}` as const),
      k:
        f === 'price'
          ? fc.nat({ max: Number.MAX_SAFE_INTEGER })
          : f === 'relevance'
            ? fc.nat({ max: 2_147_483_647 })
            : f === 'name'
              ? acceptedText
              : microIso,
      id: fc.uuid(),
    });
  const anyCursor = fc.tuple(field, dir).chain(([f, d]) => cursorFor(f, d).map((c) => ({ f, d, c: c as Cursor })));

  test('a cursor decodes to itself under its own sort', () => {
    fc.assert(
      fc.property(anyCursor, ({ f, d, c }) => {
        expect(decodeCursor(encodeCursor(c), f, d)).toEqual(c);
      }),
    );
  });

  test('under another sort it is a 400', () => {
    fc.assert(
      fc.property(anyCursor, field, dir, ({ f, d, c }, f2, d2) => {
        fc.pre(f !== f2 || d !== d2);
        expect(() => decodeCursor(encodeCursor(c), f2, d2)).toThrow(HttpProblem);
      }),
    );
  });

  test('a name cursor decodes only when its key follows the text rule (the key goes into a query)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), fc.uuid(), dir, (k, id, d) => {
        const raw = encodeCursor({ s: `name:${d}`, k, id });
        if (textProblem(k) === undefined) expect(decodeCursor(raw, 'name', d).k).toBe(k);
        else expect(() => decodeCursor(raw, 'name', d)).toThrow(HttpProblem);
      }),
    );
  });

  /** What decoding any string may do: answer a well-formed cursor for the sort asked, or throw a 400. Nothing else. */
  const decodesSafely = (raw: string, f: SortField, d: SortDir) => {
    try {
      const c = decodeCursor(raw, f, d);
      expect(c.s).toBe(`${f}:${d}`);
      expect(c.id).toMatch(/^[0-9a-f-]{36}$/i);
      if (f === 'price') expect(Number.isSafeInteger(c.k) && (c.k as number) >= 0).toBe(true);
      else expect(textProblem(c.k as string)).toBeUndefined();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpProblem);
      expect((err as HttpProblem).status).toBe(400);
    }
  };

  test('a tampered cursor (one character changed) decodes to a valid cursor or is a 400', () => {
    fc.assert(
      fc.property(
        anyCursor,
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
        ({ f, d, c }, at, ch) => {
          const raw = encodeCursor(c);
          const i = at % raw.length;
          decodesSafely(raw.slice(0, i) + ch + raw.slice(i + 1), f, d);
        },
      ),
    );
  });

  test('any string at all, or any JSON made to look like a cursor, decodes safely', () => {
    fc.assert(fc.property(fc.string(), field, dir, (raw, f, d) => decodesSafely(raw, f, d)));
    fc.assert(
      fc.property(fc.jsonValue(), field, dir, (json, f, d) =>
        decodesSafely(Buffer.from(JSON.stringify(json) ?? 'null').toString('base64url'), f, d),
      ),
    );
  });
});

describe('money formatting', () => {
  const currencies = Intl.supportedValuesOf('currency');

  test('every amount an order can hold shows all its minor units, in every currency', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CART_TOTAL_CENTS }), fc.constantFrom(...currencies), (minor, cur) => {
        const shown = formatMoney(minor, cur);
        // The digits, read back, are the minor units: nothing rounded away, nothing invented.
        expect(Number(shown.replace(/[^0-9]/g, ''))).toBe(minor);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the text rule', () => {
  test('the zod helper and the rule agree on every string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        expect(text().safeParse(s).success).toBe(textProblem(s) === undefined);
      }),
    );
  });

  test('storableText leaves accepted text alone and makes anything storable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        expect(textProblem(storableText(s), { multiline: true })).toBeUndefined();
        if (textProblem(s, { multiline: true }) === undefined) expect(storableText(s)).toBe(s);
      }),
    );
  });
});

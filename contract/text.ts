/**
 * The one rule for text that crosses the edge (request bodies, query strings, headers that carry data, webhook
 * payloads, workflow signals): no control characters (C0, DEL, C1; a multi-line field may hold tab, LF and CR) and no
 * unpaired UTF-16 surrogates. PostgreSQL cannot store NUL or an unpaired surrogate in text or jsonb, and no person
 * means the other controls in a name, an address or a token. Pure: the API's zod schemas and the workflow share it.
 */

/** Control characters a single-line field refuses (every C0 control, DEL, every C1 control). */
export const SINGLE_LINE_TEXT = /^[^\u0000-\u001F\u007F-\u009F]*$/;
/** A multi-line field (a description) also accepts tab, line feed and carriage return. */
export const MULTI_LINE_TEXT = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$/;

/** What a refusal says, per rule. */
export const TEXT_RULE_MESSAGES = {
  singleLine: 'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)',
  multiLine: 'must not contain control characters other than tab, line feed and carriage return',
  surrogate: 'must not contain unpaired UTF-16 surrogates',
} as const;

const LONE_SURROGATE = /\p{Cs}/u;

/** True when `value` holds a UTF-16 surrogate without its pair (not valid Unicode; PostgreSQL refuses it). */
export const hasLoneSurrogate = (value: string): boolean => LONE_SURROGATE.test(value);

/** Why `value` breaks the text rule, or undefined when it does not. */
export function textProblem(value: string, opts: { multiline?: boolean } = {}): string | undefined {
  if (!(opts.multiline ? MULTI_LINE_TEXT : SINGLE_LINE_TEXT).test(value)) {
    return opts.multiline ? TEXT_RULE_MESSAGES.multiLine : TEXT_RULE_MESSAGES.singleLine;
  }
  if (hasLoneSurrogate(value)) return TEXT_RULE_MESSAGES.surrogate;
  return undefined;
}

/**
 * `value` with what the rule refuses replaced by U+FFFD, for text that must be stored whatever it holds (an error
 * message on an order's timeline). Input is refused, never repaired: this is for what the system itself writes.
 */
export function storableText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\p{Cs}/gu, '\uFFFD');
}

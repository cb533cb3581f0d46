/**
 * Zod strings that follow the text rule (contract/text.ts): every schema that takes text from a client builds it
 * here, so a control character or an unpaired surrogate is a 400 naming the field wherever it arrives. The rule's
 * control-character part is also the OpenAPI `pattern`, so clients and fuzzers see it.
 */
import { z } from '@hono/zod-openapi';
import { MULTI_LINE_TEXT, SINGLE_LINE_TEXT, TEXT_RULE_MESSAGES, hasLoneSurrogate } from '../contract';

type StringParams = Parameters<typeof z.string>[0];

const build = (multiline: boolean, params?: StringParams) =>
  z
    .string(params)
    .regex(
      multiline ? MULTI_LINE_TEXT : SINGLE_LINE_TEXT,
      multiline ? TEXT_RULE_MESSAGES.multiLine : TEXT_RULE_MESSAGES.singleLine,
    )
    .refine((v) => !hasLoneSurrogate(v), TEXT_RULE_MESSAGES.surrogate);

/** One line of text a person typed or a client generated: a name, a city, a token, a query. */
export const text = (params?: StringParams) => build(false, params);

/** Text that may span lines (tab, LF and CR allowed): a product description. */
export const multilineText = (params?: StringParams) => build(true, params);

/**
 * The OpenAPI `pattern` of a required one-line field that is trimmed: the text rule, and at least one character that
 * is not white space (a blank value trims to empty and is refused). Give it last, after `.trim().min(1)`.
 */
const SINGLE_LINE_CHAR = SINGLE_LINE_TEXT.source.slice(1, -2);
export const NON_BLANK_TEXT = `^${SINGLE_LINE_CHAR}*${SINGLE_LINE_CHAR.replace('[^', '[^\\s')}${SINGLE_LINE_CHAR}*$`;

/**
 * A `.env` file with the tricky content the tests push, pull, diff and run: every kind of
 * quote, `#` inside quotes, multi-line values, `export`, escapes, empty values, Unicode and
 * `=` in values. `TRICKY_VALUES` is what hush reads from it: dotenv's rules with the
 * differences docs/CLIENT.md lists (dotenv itself would keep `\"`, `\t` and `\\` as
 * written, and cut INLINE_HASH at its `#`).
 */
export const TRICKY_ENV = [
  '# a comment line',
  'PLAIN=plain-value',
  'export EXPORTED=from-export',
  'EMPTY=',
  "EMPTY_QUOTED=''",
  "SINGLE='single # not a comment'",
  'DOUBLE="double \\"quoted\\" # still value" # a real comment',
  'BACKTICK=`it\'s "both" kinds`',
  'MULTI_LINE="first line',
  'second line',
  'third = line"',
  "MULTI_SINGLE='literal",
  "  indented \\n stays'",
  'ESCAPES="tab\\there\\nnewline \\\\ backslash"',
  'EQUALS=a=b==c',
  'URL=postgres://user:p%40ss@db:5432/app?ssl=true',
  'UNICODE="héllo wörld ✓ 日本語 😀"',
  'SPACED =   trimmed value   ',
  'INLINE_HASH=abc#def',
  "DOLLAR='$NOT_EXPANDED ${ALSO_NOT}'",
  '',
].join('\n');

/** What TRICKY_ENV holds. */
export const TRICKY_VALUES: Readonly<Record<string, string>> = {
  PLAIN: 'plain-value',
  EXPORTED: 'from-export',
  EMPTY: '',
  EMPTY_QUOTED: '',
  SINGLE: 'single # not a comment',
  DOUBLE: 'double "quoted" # still value',
  BACKTICK: 'it\'s "both" kinds',
  MULTI_LINE: 'first line\nsecond line\nthird = line',
  MULTI_SINGLE: 'literal\n  indented \\n stays',
  ESCAPES: 'tab\there\nnewline \\ backslash',
  EQUALS: 'a=b==c',
  URL: 'postgres://user:p%40ss@db:5432/app?ssl=true',
  UNICODE: 'héllo wörld ✓ 日本語 😀',
  SPACED: 'trimmed value',
  INLINE_HASH: 'abc#def',
  DOLLAR: '$NOT_EXPANDED ${ALSO_NOT}',
};

/**
 * JSONata's built-in functions as completion offers them: name, signature
 * (as JSONata's documentation writes it) and what it does. No DOM.
 *
 * @module
 */

/** One built-in function. */
export interface Builtin {
  /** Its name, without `$`. */
  name: string;
  /** Its parameters, e.g. `(str, start[, length])`. */
  params: string;
  /** What it does, one line. */
  info: string;
}

const table: [string, string, string][] = [
  // Strings
  ["string", "(arg[, prettify])", "the value as a string (JSON for objects and arrays)"],
  ["length", "(str)", "the number of characters"],
  ["substring", "(str, start[, length])", "the characters from start (negative: from the end)"],
  ["substringBefore", "(str, chars)", "the part before the first occurrence of chars"],
  ["substringAfter", "(str, chars)", "the part after the first occurrence of chars"],
  ["uppercase", "(str)", "in upper case"],
  ["lowercase", "(str)", "in lower case"],
  ["trim", "(str)", "without leading and trailing whitespace, inner runs as one space"],
  ["pad", "(str, width[, char])", "padded to width (negative: on the left)"],
  ["contains", "(str, pattern)", "whether str contains the string or regex"],
  ["split", "(str, separator[, limit])", "an array of the parts"],
  ["join", "(array[, separator])", "the strings joined"],
  ["match", "(str, pattern[, limit])", "the regex matches with their groups"],
  ["replace", "(str, pattern, replacement[, limit])", "with the matches replaced"],
  ["eval", "(expr[, context])", "evaluates a JSONata expression given as a string"],
  ["base64encode", "(str)", "Base64 of the string"],
  ["base64decode", "(str)", "the string of a Base64 text"],
  ["encodeUrlComponent", "(str)", "percent-encoded as a URL component"],
  ["encodeUrl", "(str)", "percent-encoded as a URL"],
  ["decodeUrlComponent", "(str)", "decoded URL component"],
  ["decodeUrl", "(str)", "decoded URL"],
  ["formatNumber", "(number, picture[, options])", "a number as text, by an XPath picture (e.g. '#,##0.00')"],
  ["formatBase", "(number[, radix])", "an integer in base radix"],
  ["formatInteger", "(number, picture)", "an integer as text (e.g. 'w' for words)"],
  ["parseInteger", "(string, picture)", "the integer a formatted text stands for"],
  // Numbers
  ["number", "(arg)", "the value as a number"],
  ["abs", "(number)", "the absolute value"],
  ["floor", "(number)", "rounded down"],
  ["ceil", "(number)", "rounded up"],
  ["round", "(number[, precision])", "rounded half to even, to precision decimals"],
  ["power", "(base, exponent)", "base to the power of exponent"],
  ["sqrt", "(number)", "the square root"],
  ["random", "()", "a random number in [0, 1)"],
  // Aggregation
  ["sum", "(array)", "the sum of the numbers"],
  ["max", "(array)", "the largest number"],
  ["min", "(array)", "the smallest number"],
  ["average", "(array)", "the mean of the numbers"],
  // Boolean
  ["boolean", "(arg)", "the value as a boolean"],
  ["not", "(arg)", "the negation"],
  ["exists", "(arg)", "whether the value is there"],
  // Arrays
  ["count", "(array)", "the number of items"],
  ["append", "(array1, array2)", "the two arrays as one"],
  ["sort", "(array[, function])", "sorted (by function($l, $r) returning true to swap)"],
  ["reverse", "(array)", "in reverse order"],
  ["shuffle", "(array)", "in random order"],
  ["distinct", "(array)", "without duplicates"],
  ["zip", "(array1, ...)", "arrays combined item by item"],
  // Objects
  ["keys", "(object)", "the keys"],
  ["lookup", "(object, key)", "the value at key"],
  ["spread", "(object)", "an array of one-key objects"],
  ["merge", "(array<object>)", "the objects merged into one"],
  ["sift", "(object, function)", "the entries for which function($v, $k) is true"],
  ["each", "(object, function)", "an array of function($v, $k) for each entry"],
  ["error", "(message)", "fails with the message"],
  ["assert", "(condition, message)", "fails with the message unless condition is true"],
  ["type", "(value)", "the type's name: null, number, string, boolean, array, object, function"],
  // Higher order
  ["map", "(array, function)", "function($v, $i, $a) of each item"],
  ["filter", "(array, function)", "the items for which function($v, $i, $a) is true"],
  ["single", "(array, function)", "the one item for which function is true (fails otherwise)"],
  ["reduce", "(array, function[, init])", "folds the items with function($acc, $v)"],
  // Dates
  ["now", "([picture[, timezone]])", "the time the expression started, ISO 8601"],
  ["millis", "()", "the time the expression started, ms since the epoch"],
  ["fromMillis", "(number[, picture[, timezone]])", "ms since the epoch as a timestamp text"],
  ["toMillis", "(timestamp[, picture])", "a timestamp text as ms since the epoch"],
  ["clone", "(value)", "a deep copy"],
];

/** JSONata's built-in functions, by name. */
export const BUILTINS: readonly Builtin[] = table.map(([name, params, info]) => ({ name, params, info }));

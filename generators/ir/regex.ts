/** Index just past the class opening at `start` (`[…]`; a `]` right after `[` or `[^` is refused elsewhere). */
function classEnd(source: string, start: number): number {
  let j = source[start + 1] === "^" ? start + 2 : start + 1;
  if (source[j] === "]") j++;
  while (j < source.length) {
    if (source[j] === "\\") j += 2;
    else if (source[j] === "]") return j + 1;
    else j++;
  }
  return j;
}

/** Index of the `)` closing the group that holds `start`, or -1 at the top level. */
function groupClose(source: string, start: number): number {
  let depth = 0;
  for (let j = start; j < source.length; ) {
    const c = source[j];
    if (c === "\\") j += 2;
    else if (c === "[") j = classEnd(source, j);
    else {
      if (c === "(") depth++;
      else if (c === ")" && depth-- === 0) return j;
      j++;
    }
  }
  return -1;
}

/**
 * Whether a negated class or escape repeated with `+`/`*` (its quantifier ends just before `start`) may be followed
 * directly by another negated item, or by itself: JavaScript without the `u` flag could then split an emoji between
 * the two. Conservative: a group opening after the run, or a repeated group around it, counts as such.
 */
function negatedRunMayMeetAnother(source: string, start: number): boolean {
  let i = source[start] === "?" ? start + 1 : start; // a lazy `+?` / `*?`
  for (;;) {
    const c = source[i];
    if (c === undefined || c === "$" || c === "^") return false;
    if (c === "|") {
      i = groupClose(source, i);
      if (i === -1) return false;
      continue;
    }
    if (c === ")") {
      const after = source[i + 1];
      if (after === "+" || after === "*" || after === "{") return true;
      i += after === "?" ? 2 : 1;
      continue;
    }
    if (c === "(") return true;
    let end = i + 1;
    if (c === "\\") {
      if (source[i + 1] === "W" || source[i + 1] === "D") return true;
      end = source[i + 1] === "x" ? i + 4 : i + 2;
    } else if (c === "[") {
      if (source[i + 1] === "^") return true;
      end = classEnd(source, i);
    }
    const quantifier = source[end];
    const count = /^\{(\d+)/.exec(source.slice(end));
    return quantifier === "?" || quantifier === "*" || (count !== null && Number(count[1]) === 0);
  }
}

/**
 * Contract regexes run in three engines: JavaScript (Zod), Java (Spark `RLIKE` on Glue) and RE2 (DuckDB
 * `regexp_full_match`/`regexp_matches`). This check admits only the subset on which the three agree, so a record's
 * verdict cannot depend on where it is cleaned.
 *
 * Refused, with the reason:
 * - lookaround `(?=` `(?!` `(?<=` `(?<!` and backreferences `\1` `\k<…>`: RE2 has none;
 * - named groups `(?<name>…)` and inline flags `(?i)`: spelled differently in each engine;
 * - `\s` `\S`: JavaScript includes Unicode spaces, Java includes `\x0B`, RE2 neither;
 * - `\b` `\B`: Unicode-aware in Java, ASCII in JavaScript and RE2;
 * - `.` outside a class: JavaScript and Java exclude `\r` and Unicode line separators, RE2 only `\n`;
 * - `\p{…}` `\u{…}` `\c` and `[^]`: need flags or are engine-specific;
 * - any other letter or digit escape but `\d \D \w \W \t \n \r \f` and `\xHH`: `\Q…\E` quotes in Java and RE2
 *   but is `QE` in JavaScript, `\z` `\A` are anchors in Java and RE2 but letters in JavaScript, `\v` is a class in
 *   Java, `\uHHHH` does not exist in RE2, `\0` is octal in Java;
 * - `[` inside a class (`[[:alpha:]]` is a POSIX class in RE2, a union in Java, literal text in JavaScript) and
 *   `&&` inside a class (an intersection in Java only).
 * - `{` that does not open a repetition `{n}` `{n,}` `{n,m}` (n ≤ m ≤ 1000) after something to repeat: a literal
 *   brace in JavaScript, an error in Java (`PatternSyntaxException`); RE2 allows at most 1000 repetitions.
 * - a character above U+FFFF (an emoji): two UTF-16 units to JavaScript without the `u` flag, one to Java and RE2,
 *   so `^😀{2}$` and `[😀]` match differently. For the same reason a negated class or escape (`[^…]`, `\W`, `\D`)
 *   must be followed by `+` or `*`: it matches an emoji in the data as two characters in JavaScript, one elsewhere,
 *   so `^[^a]$` or `^\W{1,2}$` would judge "😀" differently; with `+` or `*` the count does not matter, unless
 *   another negated item may take over where the run stops: JavaScript can then split an emoji between the two
 *   (`^[^a]+[^b]+$`, `^\D+x?\D+$`, `^([^,]+){2}$` accept "😀" in JavaScript only). So what follows the run must be
 *   a character or a positive class that cannot be left out, `$`, or the end of the pattern or of an alternative
 *   (then what follows the group); a group opening after it, or a group around it that repeats, is refused;
 * - an escaped character that is not ASCII (`\é`: RE2 refuses it, the run fails), and a class range to a class
 *   escape (`[a-\d]`: an error in Java and RE2; `[\d-z]`, read alike by the three, is an error with the u flag,
 *   below).
 * - syntax the Unicode mode of ECMA-262 refuses (`\_`, `\:`, a lone `]` or `}`): JSON Schema validators compile a
 *   pattern with the `u` flag, and the published schema would not compile.
 * `$` is admitted: it means "end of input" in JavaScript and RE2; the Spark renderer writes Java's `\z`, because
 * Java's `$` also matches before a final line terminator.
 */
export function unportableRegexReason(source: string): string | undefined {
  // JavaScript without the u flag sees a character above U+FFFF as two UTF-16 units; Java and RE2 see one.
  if (/[\uD800-\uDFFF]/.test(source)) return "a character above U+FFFF (such as an emoji: two characters to JavaScript, one to Java and RE2)";
  let inClass = false;
  let negatedClass = false;
  // Whatever follows a negated class or escape must let it repeat freely (see above).
  const unbounded = (after: number) => "+*".includes(source[after] ?? "") && source[after] !== undefined;
  const NEGATED_COUNT =
    "a negated class or escape ([^…], \\W, \\D) not followed by + or * (a character above U+FFFF in the data is two characters to JavaScript, one to Java and RE2, so a counted match differs; write + or *, and bound the length with .min()/.max(), which count code points)";
  const NEGATED_NEIGHBOUR =
    "a negated class or escape repeated with + or * that another negated item may follow directly (an optional character, a group, or a repeated group between them: JavaScript can split a character above U+FFFF between the two, Java and RE2 cannot, so ^[^a]+[^b]+$ accepts \"😀\" in JavaScript only; put a required character or positive class between them)";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (next.charCodeAt(0) > 0x7e) return `\\${next} (an escaped character that is not ASCII: RE2 refuses it; write the character itself)`;
      // `[a-\d]`; a dash first in the class (`[-\d]`, `[^-\d]`) is a literal.
      const rangeStart = source[i - 2] === "[" || (source[i - 2] === "^" && source[i - 3] === "[");
      if (inClass && /[dDwW]/.test(next) && source[i - 1] === "-" && !rangeStart) return `a class range to \\${next} (an error in Java and RE2)`;
      if (!inClass && (next === "W" || next === "D")) {
        if (!unbounded(i + 2)) return NEGATED_COUNT;
        if (negatedRunMayMeetAnother(source, i + 3)) return NEGATED_NEIGHBOUR;
      }
      if (/[1-9]/.test(next)) return `backreference \\${next}`;
      if (next === "k") return "named backreference \\k<…>";
      if (next === "s" || next === "S") return `\\${next} (whitespace differs between engines; use [ \\t\\r\\n] or [^ \\t\\r\\n])`;
      if (!inClass && (next === "b" || next === "B")) return `\\${next} (word boundaries differ between engines)`;
      if (next === "p" || next === "P") return `\\${next}{…} Unicode property classes`;
      if (next === "u" && source[i + 2] === "{") return "\\u{…} code point escapes";
      if (next === "c") return "\\c control escapes";
      if (next === "x") {
        if (!/^[0-9A-Fa-f]{2}$/.test(source.slice(i + 2, i + 4))) return "\\x not followed by two hex digits";
      } else if (/[A-Za-z0-9]/.test(next) && !"dDwWtnrf".includes(next)) {
        return `\\${next} (this escape means different things in JavaScript, Java and RE2, or is missing from one; \\Q…\\E, \\z, \\A, \\v, \\u and octal escapes are refused: write the characters or a class)`;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") {
        inClass = false;
        if (negatedClass && !unbounded(i + 1)) return NEGATED_COUNT;
        if (negatedClass && negatedRunMayMeetAnother(source, i + 2)) return NEGATED_NEIGHBOUR;
      }
      else if (c === "[") return "[ inside a class ([[:alpha:]] is a POSIX class in RE2, a union in Java, text in JavaScript; escape it as \\[)";
      else if (c === "&" && source[i + 1] === "&") return "&& inside a class (an intersection in Java only)";
      continue;
    }
    if (c === "[") {
      if (source.startsWith("[^]", i)) return "[^] (matches anything in JavaScript only)";
      inClass = true;
      negatedClass = source[i + 1] === "^";
      // A `]` right after `[` or `[^` is a literal in Java and RE2 but closes an empty class in JavaScript.
      const first = source[i + 1] === "^" ? i + 2 : i + 1;
      if (source[first] === "]") return "a class starting with ] (read differently by JavaScript)";
      continue;
    }
    if (c === "(" && source[i + 1] === "?") {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith("=") || rest.startsWith("!")) return "lookahead (?= / (?!";
      if (rest === "<=" || rest === "<!") return "lookbehind (?<= / (?<!";
      if (rest.startsWith("<")) return "named group (?<name>…)";
      if (!rest.startsWith(":")) return "inline flags (?…)";
    }
    if (c === ".") return ". (line terminators differ between engines; use an explicit class such as [^\\n])";
    if (c === "{") {
      const repeat = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      const previous = source[i - 1];
      const escapedBefore = i >= 2 && source[i - 2] === "\\";
      const nothingToRepeat = previous === undefined || (!escapedBefore && "(|^".includes(previous));
      if (!repeat || nothingToRepeat) {
        return "{ that does not open a repetition {n}, {n,} or {n,m} after something to repeat (a literal brace in JavaScript, an error in Java; escape it as \\{)";
      }
      const low = Number(repeat[1]);
      const high = repeat[2] === undefined ? low : repeat[3] === "" ? low : Number(repeat[3]);
      if (low > high || high > 1000) return `the repetition ${repeat[0]} (RE2 allows at most 1000 repetitions, and none with n > m)`;
      i += repeat[0].length - 1;
    }
  }
  // Last, what the engines agree on but the published JSON Schema cannot carry: its validators compile patterns in
  // Unicode mode (ECMA-262 with the u flag, as ajv does), which refuses identity escapes such as \_ or \: and a lone
  // ] or }.
  try {
    new RegExp(source, "u");
  } catch (error) {
    return `syntax JSON Schema validators refuse (they compile patterns in Unicode mode: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}; write _ or : without a backslash, and \\] or \\} for a literal bracket)`;
  }
  return undefined;
}

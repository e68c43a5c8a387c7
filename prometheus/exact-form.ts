// The exact form of a counter's total over a window (docs/metrics.md, "Spend: the exact query"):
//   increase(x[w] anchored) + (first_over_time(x[w]) unless x offset w) or increase(x[w] anchored)
// inexactIncreases() lists the increase() calls of a PromQL expression that are not in that form —
// plain (extrapolating) increase(), or anchored without the first value of series born in the
// window. The rule and board tests require none.

/** The increase() calls of `expr` that are not the exact form, as written. */
export function inexactIncreases(expr: string): string[] {
  const e = expr.replace(/\s+/g, ' ');
  const bad: string[] = [];
  for (const m of e.matchAll(/increase\(((?:[^()[\]{}]|\{[^}]*\})+)\[([^\]]+)\]( anchored)?\)/g)) {
    const [whole, sel, w, anchored] = m;
    const first = `(first_over_time(${sel}[${w}]) unless ${sel} offset ${w})`;
    if (anchored === undefined || !e.includes(first) || !e.includes(`${first} or increase(${sel}[${w}] anchored)`))
      bad.push(whole);
  }
  // increase() with a subquery or an unparsed argument: not recognisable as the exact form.
  const calls = e.match(/\bincrease\(/g)?.length ?? 0;
  const parsed = [...e.matchAll(/increase\(((?:[^()[\]{}]|\{[^}]*\})+)\[([^\]]+)\]( anchored)?\)/g)].length;
  if (calls !== parsed) bad.push(`${calls - parsed} increase() call(s) not over a plain selector`);
  return bad;
}

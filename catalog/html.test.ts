/**
 * The escaping helper: every interpolation is text unless it is markup the helper made; data islands cannot close
 * their element; links are the site's own. Hostile strings are the kitchen-sink contract's and a quarantined
 * record's.
 */
import { describe, expect, it } from "vitest";
import { breakable, escapeHtml, href, html, join, jsonForScript, jsonScript, raw, SafeHtml, slug } from "./html.js";

const HOSTILE = `It's "quoted" and """triple""" with {{ jinja }} {% tag %} */ /* <b>html</b> | pipe \\ back \`tick\` \${x} -- dash # hash`;
const SCRIPT = `</script><script>alert(1)</script><img src=x onerror="alert(2)"><!--`;

describe("html", () => {
  it("escapes every interpolated string, in text and in quoted attributes", () => {
    const out = html`<p title="${HOSTILE}">${HOSTILE}</p>`.value;
    expect(out).toBe(
      "<p title=\"It&#39;s &quot;quoted&quot; and &quot;&quot;&quot;triple&quot;&quot;&quot; with {{ jinja }} {% tag %} */ /* &lt;b&gt;html&lt;/b&gt; | pipe \\ back `tick` ${x} -- dash # hash\">" +
        "It&#39;s &quot;quoted&quot; and &quot;&quot;&quot;triple&quot;&quot;&quot; with {{ jinja }} {% tag %} */ /* &lt;b&gt;html&lt;/b&gt; | pipe \\ back `tick` ${x} -- dash # hash</p>",
    );
    expect(html`${SCRIPT}`.value).not.toMatch(/[<>"']/);
    expect(escapeHtml("&amp;")).toBe("&amp;amp;");
  });

  it("keeps markup it made, in nested templates and lists, and escapes the rest of a list", () => {
    const items = ["<a>", "b&c"].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe("<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>");
    expect(html`${["<x>", html`<y>`]}`.value).toBe("&lt;x&gt;<y>");
    expect(join([html`<i>1</i>`, "<2>"], ", ").value).toBe("<i>1</i>, &lt;2&gt;");
    expect(html`${raw("<hr>")}`.value).toBe("<hr>");
  });

  it("writes nothing for null, undefined and false, and numbers as text", () => {
    expect(html`[${null}${undefined}${false}${0}${12.5}${true}]`.value).toBe("[012.5true]");
  });

  it("does not treat look-alike objects as markup", () => {
    const fake = { value: "<script>", toString: () => "<script>" } as unknown as SafeHtml;
    expect(html`${fake as never}`.value).toBe("&lt;script&gt;");
  });
});

describe("breakable", () => {
  it("puts a <wbr> after _ , . and before ( (never first or last), and escapes the rest", () => {
    expect(breakable("style_gift_amount").value).toBe("style_<wbr>gift_<wbr>amount");
    expect(breakable("TIMESTAMP(MICROS,true)").value).toBe("TIMESTAMP<wbr>(MICROS,<wbr>true)");
    expect(breakable("_a.").value).toBe("_<wbr>a.");
    expect(breakable("(x").value).toBe("(x");
    expect(breakable(`<b onclick="x">_&</b>`).value).toBe("&lt;b onclick=&quot;x&quot;&gt;_<wbr>&amp;&lt;/b&gt;");
    // The text is unchanged once the opportunities are taken out.
    expect(breakable("NUMBER(19,0)").value.replaceAll("<wbr>", "")).toBe("NUMBER(19,0)");
  });
});

describe("jsonForScript / jsonScript", () => {
  it("escapes <, >, & and U+2028/U+2029 so the text cannot end the element, and parses back to the same value", () => {
    const value = { text: `${SCRIPT}\u2028\u2029 & more`, nested: [HOSTILE] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
    const element = jsonScript("data-1", value).value;
    expect(element.startsWith('<script type="application/json" id="data-1">')).toBe(true);
    expect(element.match(/<\/script>/g)).toHaveLength(1);
  });

  it("refuses an id that is not a plain name (a bug, not data)", () => {
    expect(() => jsonScript('x" onload="y', {})).toThrow(/bug in the catalog/);
  });
});

describe("href", () => {
  it("accepts the site's relative links and fragments", () => {
    for (const target of ["index.html", "../assets/catalog.css", "datasets/review.html#column-review--rating", "#main"]) expect(href(target).value).toBe(target);
  });

  it("refuses schemes, protocol-relative and odd links", () => {
    for (const target of ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "//evil.example/x", "https://x", "a b.html", "a\\b", "", "x.html#a b", 'x"y']) {
      expect(() => href(target), target).toThrow(/link target/);
    }
  });
});

describe("slug", () => {
  it("makes ids of names", () => {
    expect(slug("review", "helpful_votes")).toBe("review--helpful-votes");
    expect(slug("<b>x</b>")).toBe("b-x-b");
  });

  it("gives distinct contract names distinct ids", () => {
    const names = ["amount", "amount_", "_amount", "a_b", "a__b", "a_b_", "a___b", "review", "helpful_votes", "helpful__votes"];
    const ids = names.flatMap((table) => names.map((column) => slug(table, column)));
    expect(new Set(ids).size).toBe(names.length * names.length);
    expect(slug("kitchen_sink", "amount_")).toBe("kitchen-sink--amount_");
  });
});

// Markdown links and headings as GitHub renders them, for test/docs/links.unit.test.ts: which anchors a
// file offers and which relative links it makes. Hand-written because the rules needed are few
// (GitHub's heading slugs, inline links outside code) and a Markdown parser would be a dependency
// for two regular expressions.

/** A line of a file and the link or file reference found on it. */
export interface Reference {
  line: number;
  target: string;
}

/** The lines of a Markdown text outside fenced code blocks, with their 1-based numbers. */
function prose(markdown: string): [number, string][] {
  const out: [number, string][] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) out.push([i + 1, text]);
  });
  return out;
}

/**
 * GitHub's anchor for a heading: the rendered text (link targets, emphasis and code marks left
 * out), lowercased, every character that is not a letter, digit, space, '-' or '_' dropped, spaces
 * turned into '-'. A repeated heading gets -1, -2, ... as GitHub numbers them.
 */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*`]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown file offers: one per heading (ATX, outside code). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, text] of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** Every inline link or image target that is not a URL with a scheme: `[text](target "title")`. */
export function relativeLinks(markdown: string): Reference[] {
  const out: Reference[] = [];
  for (const [line, text] of prose(markdown)) {
    const withoutCode = text.replace(/`[^`]*`/g, "``");
    for (const m of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] as string;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ line, target });
    }
  }
  return out;
}

/** Every `docs/<file>.md` or `docs/<file>.md#<anchor>` that a source file names (comments, messages). */
export function docReferences(source: string): Reference[] {
  const out: Reference[] = [];
  source.split("\n").forEach((text, i) => {
    for (const m of text.matchAll(/(?<![\w/.-])docs\/[\w.-]+\.md(?:#[\w-]+)?/g)) {
      out.push({ line: i + 1, target: m[0] });
    }
  });
  return out;
}

// A small XML well-formedness check for the SVG files the compare plots write (tags balance and nest,
// attributes are quoted, entities are known); returns the root element's name.

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

export function checkXml(text: string): string {
  const stack: string[] = [];
  let root: string | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '&') {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(text)) throw new Error(`bad entity at ${i}: ${text.slice(i, i + 12)}`);
      i = ENTITY.lastIndex;
      continue;
    }
    if (c !== '<') {
      i++;
      continue;
    }
    if (text.startsWith('<!--', i)) i = skipTo(text, i, '-->');
    else if (text.startsWith('<![CDATA[', i)) i = skipTo(text, i, ']]>');
    else if (text.startsWith('<?', i)) i = skipTo(text, i, '?>');
    else if (text.startsWith('<!', i)) i = skipTo(text, i, '>');
    else if (text[i + 1] === '/') {
      const end = skipTo(text, i, '>');
      const name = text.slice(i + 2, end - 1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> at ${i} closes <${open}>`);
      i = end;
    } else {
      const end = skipTo(text, i, '>');
      const tag = text.slice(i + 1, end - 1);
      const selfClosing = tag.endsWith('/');
      const m = /^([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*\/?$/.exec(tag);
      if (!m) throw new Error(`malformed tag at ${i}: <${tag.slice(0, 60)}>`);
      if (root === null) root = m[1];
      else if (!stack.length) throw new Error(`second root element <${m[1]}> at ${i}`);
      if (!selfClosing) stack.push(m[1]);
      i = end;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  if (root === null) throw new Error('no element');
  return root;
}

function skipTo(text: string, from: number, close: string): number {
  const j = text.indexOf(close, from);
  if (j < 0) throw new Error(`unterminated construct at ${from}`);
  return j + close.length;
}

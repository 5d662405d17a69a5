/**
 * Java .properties files, as Kafka's server.properties are written: `key=value` or `key: value` or
 * `key value`, `#` and `!` comments, backslash line continuation and escapes.
 */

export class PropertiesError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "PropertiesError";
  }
}

function unescapeJava(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, esc: string) => {
    if (esc.startsWith("u") && esc.length === 5)
      return String.fromCharCode(Number.parseInt(esc.slice(1), 16));
    if (esc === "t") return "\t";
    if (esc === "n") return "\n";
    if (esc === "r") return "\r";
    if (esc === "f") return "\f";
    return esc;
  });
}

/** Parses the text of a .properties file into an ordered map; later keys override earlier ones. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i].replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // An odd number of trailing backslashes continues the logical line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line)) {
      line = line.slice(0, -1);
      i++;
      if (i >= lines.length) break;
      line += lines[i].replace(/^[ \t\f]+/, "");
    }
    const sep = /(?<!\\)(?:\\\\)*[=: \t\f]/.exec(line);
    let key: string;
    let value: string;
    if (!sep) {
      key = line;
      value = "";
    } else {
      const keyEnd = sep.index + sep[0].length - 1;
      key = line.slice(0, keyEnd);
      value = line.slice(keyEnd).replace(/^[ \t\f]*[=:]?[ \t\f]*/, "");
    }
    key = unescapeJava(key);
    if (key === "") throw new PropertiesError("empty key", start);
    out.set(key, unescapeJava(value));
  }
  return out;
}

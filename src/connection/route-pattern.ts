/**
 * A path pattern such as `/rooms/:id`: literal segments match themselves, `:name` segments match
 * one non-empty segment (URL-decoded into the params). One trailing slash is ignored.
 */
export class RoutePattern {
  private readonly segments: string[];

  constructor(readonly pattern: string) {
    this.segments = splitPath(pattern);
  }

  /** The params of `pathname` when it matches (`{}` without `:name` segments), else `null`. */
  match(pathname: string): Record<string, string> | null {
    const parts = splitPath(pathname);
    if (parts.length !== this.segments.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const segment = this.segments[i];
      if (segment.startsWith(':')) {
        const value = decodeSegment(parts[i]);
        if (!value) return null;
        params[segment.slice(1)] = value;
      } else if (segment !== parts[i]) return null;
    }
    return params;
  }
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

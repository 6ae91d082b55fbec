#!/usr/bin/env python3
"""Checks the generated API reference against include/deep.h.

Every function, typedef, enumerator and macro the header declares must be documented in
the header's page of the HTML reference, every banner section must be a group there, and
the comment written above each function must appear in the text of the page (compared
with tags stripped and whitespace collapsed). Fails listing what is missing.

Usage: check-reference.py include/deep.h BUILD/docs/reference/html
"""
import html
import os
import re
import sys


def page_text(path):
    with open(path, encoding='utf-8') as f:
        raw = f.read()
    text = html.unescape(re.sub(r'<[^>]+>', ' ', raw))
    return raw, ' '.join(text.split())


def squeeze(s):
    return re.sub(r'[\s`]+', '', s)


def main(header_path, html_dir):
    with open(header_path, encoding='utf-8') as f:
        header = f.read()
    page = os.path.join(html_dir, 'deep_8h.html')
    if not os.path.exists(page):
        sys.exit(f'check-reference: FAIL: {page} was not generated')
    raw, text = page_text(page)

    squeezed = squeeze(text)
    problems = []
    names = set(re.findall(r'DEEP_API\b[^;{]*?\b(deep_\w+)\s*\(', header))
    names |= set(re.findall(r'^typedef\b.*?\b(deep_\w+)\s*;', header, re.M))
    names |= set(re.findall(r'\(\s*\*\s*(deep_\w+)\s*\)', header))
    names |= set(re.findall(r'^\s+(DEEP_[A-Z0-9_]+)\s*=', header, re.M))
    names |= set(re.findall(r'^#define\s+(DEEP_[A-Z0-9_]+)', header, re.M)) - {'DEEP_H'}
    for name in sorted(names):
        # Each documented member gets an anchor and its name in a memname/memitem cell.
        if not re.search(r'>\s*' + re.escape(name) + r'\b', raw):
            problems.append(f'{name}: not in the reference')

    for m in re.finditer(r'^/\* =+ \*/\n((?:/\*.*\*/\n)+)/\* =+ \*/', header, re.M):
        body = ' '.join(l.strip()[2:-2].strip() for l in m.group(1).splitlines())
        title = re.split(r'[:.]', body, maxsplit=1)[0].strip()
        if title not in text:
            problems.append(f'section "{title}": no group in the reference')

    # The comment right above each function: its words must be in the page, in order.
    for m in re.finditer(r'/\*((?:(?!\*/).)*)\*/\s*\nDEEP_API\b[^;]*?\b(deep_\w+)\s*\(', header, re.S):
        comment, name = m.group(1), m.group(2)
        words = ' '.join(l.strip().lstrip('*').strip() for l in comment.splitlines()).split()
        snippet = ' '.join(words[:8])
        if not snippet or set(snippet) == {'='}:  # a section banner, not a comment of its own
            continue
        # Markdown turns `x` into <code>x</code>: compare without backticks and whitespace.
        if squeeze(snippet) not in squeezed:
            problems.append(f'{name}: its comment ("{snippet} ...") is not in the reference')

    if problems:
        print('check-reference: FAIL: the reference in', html_dir, 'misses:', file=sys.stderr)
        for p in problems:
            print('  ' + p, file=sys.stderr)
        sys.exit(1)
    print(f'check-reference: OK: {len(names)} names of deep.h documented in {page}')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: check-reference.py include/deep.h HTML_DIR')
    main(sys.argv[1], sys.argv[2])

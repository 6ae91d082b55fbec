#!/usr/bin/env python3
"""Doxygen input filter for include/deep.h.

The header is written in plain C comments, the way its readers and FFI generators see it;
this filter turns them into Doxygen comments on the fly so the reference needs no markup in
the header:

  * the first comment of the file becomes the file's documentation (@file);
  * each banner section (a comment between two lines of '=') becomes a member group
    (@name) titled by the words before its first ':' or '.', holding what follows it;
  * a comment on its own lines documents the declaration after it, unless another comment
    follows directly (then it is a heading inside the section and stays a plain comment);
  * a comment after code on the same line (enum values) documents that code (/**< */), as
    does an indented comment line right below such a comment.

Usage (Doxygen's INPUT_FILTER appends the file name): doxygen-filter.py FILE
"""
import re
import sys

BANNER = re.compile(r'^/\* =+ \*/\s*$')
SECTION_LINE = re.compile(r'^/\*\s?(.*?)\s*\*/\s*$')
COMMENT_START = re.compile(r'^(\s*)/\*(?![*!])')
TRAILING = re.compile(r'^(\s*[^\s#/].*?)/\*(?![*!<])(.*)$')


def comment_end(lines, i):
    """Index of the line closing the comment that opens on line i."""
    j = i
    while '*/' not in lines[j][lines[j].index('/*') + 2 if j == i else 0:]:
        j += 1
    return j


def main(path):
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    last_cplusplus = max((k for k, l in enumerate(lines) if l.startswith('#ifdef __cplusplus')), default=-1)
    out = []
    group_open = False
    file_doc_done = False
    prev_trailing = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if BANNER.match(line):
            j = i + 1
            text = []
            while j < len(lines) and not BANNER.match(lines[j]):
                m = SECTION_LINE.match(lines[j])
                text.append(m.group(1) if m else lines[j].strip())
                j += 1
            body = ' '.join(t for t in text if t)
            title = re.split(r'[:.]', body, maxsplit=1)[0].strip()
            if group_open:
                out.append('/** @} */')
            out += ['/** @name ' + title, ' * ' + body, ' */', '/** @{ */']
            group_open = True
            prev_trailing = False
            i = j + 1
            continue
        if i == last_cplusplus and group_open:
            out.append('/** @} */')
            group_open = False
        start = COMMENT_START.match(line)
        if start:
            end = comment_end(lines, i)
            block = lines[i:end + 1]
            nxt = end + 1
            follows_comment = nxt < len(lines) and COMMENT_START.match(lines[nxt])
            if not file_doc_done:
                block[0] = line.replace('/*', '/** @file', 1)
                file_doc_done = True
            elif prev_trailing and start.group(1):
                block[0] = line.replace('/*', '/**<', 1)
            elif not follows_comment:
                block[0] = line.replace('/*', '/**', 1)
            out += block
            i = end + 1
            continue
        trailing = TRAILING.match(line)
        if trailing and '*/' not in trailing.group(1):
            end = comment_end(lines, i)
            out.append(trailing.group(1) + '/**<' + trailing.group(2))
            out += lines[i + 1:end + 1]
            prev_trailing = True
            i = end + 1
            continue
        prev_trailing = False
        out.append(line)
        i += 1
    if group_open:
        out.append('/** @} */')
    sys.stdout.write('\n'.join(out))


if __name__ == '__main__':
    main(sys.argv[1])

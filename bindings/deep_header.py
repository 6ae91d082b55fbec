"""The parser of include/deep.h shared by the binding generators (bindings/rust/gen-sys.py,
bindings/python/gen-ffi.py), Python 3 standard library only.

It reads the header's own style, not C in general: opaque handles
(`typedef struct deep_x deep_x;`), enums (`typedef enum deep_x { DEEP_A = 1, ... } deep_x;`,
values explicit or implicit, constant expressions allowed), object-like macros
(`#define DEEP_X <integer expression | float | string>`), callback types
(`typedef R (*deep_x_fn)(params);`) and exported functions (`DEEP_API R deep_x(params);`,
over several lines, with any number of marker macros such as `DEEP_DEPRECATED("...")`
before or after DEEP_API). Anything it cannot read is an error (HeaderError), never
silently left out: a generated binding must hold every declaration of the header.
"""
import ast
import collections
import re

# The C types a parameter may use besides the header's own handles, enums and callbacks.
PRIMITIVES = ('void', 'char', 'int', 'float', 'double', 'int32_t', 'int64_t', 'uint32_t', 'uint64_t',
              'size_t')
# <stdint.h> limits a macro may be defined as.
LIMITS = {'INT32_MAX': 2**31 - 1, 'INT32_MIN': -2**31, 'INT64_MAX': 2**63 - 1, 'INT64_MIN': -2**63,
          'UINT32_MAX': 2**32 - 1, 'UINT64_MAX': 2**64 - 1}

# A C type: the base name, whether the base is const, and for each '*' (innermost first)
# whether that pointer itself is const ('int32_t *const *' -> ('int32_t', False, (True, False))).
CType = collections.namedtuple('CType', 'base const pointers')
Param = collections.namedtuple('Param', 'ctype name')
Enum = collections.namedtuple('Enum', 'name members')  # members: [(name, value)]
Macro = collections.namedtuple('Macro', 'name text value')  # value: int, float or str
Callback = collections.namedtuple('Callback', 'name ret params')
Function = collections.namedtuple('Function', 'name ret params')
Header = collections.namedtuple('Header', 'macros opaque enums callbacks functions')


class HeaderError(Exception):
    """A declaration of the header that the generators cannot read."""


def strip_comments(text):
    """The text without comments, line numbers kept (string literals are left alone)."""
    def blank(m):
        s = m.group(0)
        return s if s.startswith('"') else '\n' * s.count('\n') or ' '
    return re.sub(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*', blank, text, flags=re.S)


def _evaluate(expr, names, what):
    """The value of an integer constant expression (literals, known names, + - * % << >> | & ^ ~
    and parentheses), or of a float or string literal."""
    expr = expr.strip()
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', expr):
        return ast.literal_eval(expr)
    number = expr.strip('()').strip()
    if re.fullmatch(r'[-+]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][-+]?\d+)?[fF]?', number):
        return float(number.rstrip('fF'))
    py = re.sub(r'\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b', r'\1', expr)
    py = re.sub(r'\b[A-Za-z_]\w*\b', lambda m: _name_value(m.group(0), names, what), py)
    try:
        tree = ast.parse(py, mode='eval')
    except SyntaxError:
        raise HeaderError(f'{what}: cannot read the expression {expr!r}') from None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add, ast.Sub, ast.Mult,
               ast.Mod, ast.LShift, ast.RShift, ast.BitOr, ast.BitAnd, ast.BitXor,
               ast.Invert, ast.USub, ast.UAdd)
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or isinstance(node, ast.Constant) and type(node.value) is not int:
            raise HeaderError(f'{what}: {expr!r} is not an integer constant expression')
    return eval(compile(tree, what, 'eval'), {'__builtins__': {}})


def _name_value(name, names, what):
    if name in names:
        return f'({names[name]})'
    if name in LIMITS:
        return f'({LIMITS[name]})'
    raise HeaderError(f'{what}: unknown name {name!r}')


def parse_type(text, known, what):
    """The CType of a declaration's type such as 'const char *const *'."""
    tokens = re.findall(r'[A-Za-z_]\w*|\*', text)
    base, const, pointers = None, False, []
    for token in tokens:
        if token == '*':
            if base is None:
                raise HeaderError(f'{what}: no type before * in {text!r}')
            pointers.append(False)
        elif token == 'const':
            if pointers:
                pointers[-1] = True
            else:
                const = True
        elif token in ('enum', 'struct'):
            continue
        elif base is None and not pointers:
            base = token
        else:
            raise HeaderError(f'{what}: cannot read the type {text!r}')
    if base is None:
        raise HeaderError(f'{what}: missing type in {text!r}')
    if base not in PRIMITIVES and base not in known:
        raise HeaderError(f'{what}: unknown C type {base!r} in {text!r}')
    return CType(base, const, tuple(pointers))


def parse_params(text, known, what):
    text = ' '.join(text.split())
    if text in ('void', ''):
        return []
    params = []
    for i, piece in enumerate(text.split(',')):
        if '(' in piece or '[' in piece:
            raise HeaderError(f'{what}: parameter {piece.strip()!r}: use a typedef for function '
                              'pointers and a pointer for arrays')
        m = re.fullmatch(r'\s*(.*?[\s*])(\w+)\s*', piece)
        if not m or not re.search(r'\w', m.group(1)):
            raise HeaderError(f'{what}: parameter {i + 1} ({piece.strip()!r}) needs a type and a name')
        params.append(Param(parse_type(m.group(1), known, what), m.group(2)))
    return params


def _macros(text):
    """(object-like macros in order, names of marker macros to strip from declarations)."""
    macros, markers, names = [], set(), {}
    seen = {}
    for m in re.finditer(r'^[ \t]*#[ \t]*define[ \t]+(DEEP_\w+)(\([^)]*\))?[ \t]*(.*?)[ \t]*$', text, re.M):
        name, args, body = m.group(1), m.group(2), m.group(3)
        if name == 'DEEP_H':  # the include guard
            continue
        if args is not None or not body or re.search(r'__attribute__|__declspec|\[\[', body):
            markers.add(name)  # DEEP_API, DEEP_DEPRECATED(...): attributes, not values
            continue
        value = _evaluate(body, names, name)
        if name in seen:
            if seen[name] != value:
                raise HeaderError(f'{name} is defined twice with different values')
            continue
        seen[name] = value
        if isinstance(value, int):
            names[name] = value
        macros.append(Macro(name, body, value))
    return macros, markers, names


def _strip_markers(decl, markers):
    """decl without marker macros (and their arguments, string literals included)."""
    pattern = r'\b(?:' + '|'.join(sorted(markers)) + r')\b\s*(?:\((?:"(?:[^"\\]|\\.)*"|[^()"])*\))?'
    return re.sub(pattern, ' ', decl) if markers else decl


def parse(path):
    """The Header of the file at path."""
    with open(path, encoding='utf-8') as f:
        text = strip_comments(f.read().replace('\\\n', ''))
    macros, markers, names = _macros(text)
    markers.discard('DEEP_API')
    # Declarations: the text without preprocessor lines.
    code = re.sub(r'^[ \t]*#[^\n]*', '', text, flags=re.M)
    code = _strip_markers(code, markers)

    opaque = re.findall(r'\btypedef\s+struct\s+(deep_\w+)\s+\1\s*;', code)
    enums = []
    for name, body in re.findall(r'\btypedef\s+enum\s+(deep_\w+)\s*\{(.*?)\}\s*\1\s*;', code, re.S):
        members, value = [], -1
        for item in body.split(','):
            item = item.strip()
            if not item:
                continue
            m = re.fullmatch(r'(DEEP_\w+)\s*(?:=\s*(.+))?', item, re.S)
            if not m:
                raise HeaderError(f'{name}: cannot read the enumerator {item!r}')
            value = _evaluate(m.group(2), names, m.group(1)) if m.group(2) else value + 1
            names[m.group(1)] = value
            members.append((m.group(1), value))
        enums.append(Enum(name, members))
    if len(enums) != len(re.findall(r'\btypedef\s+enum\b', code)):
        raise HeaderError('an enum is not written as typedef enum deep_x { ... } deep_x;')

    raw_callbacks = re.findall(r'\btypedef\s+([^;{}()]+?)\(\s*\*\s*(deep_\w+)\s*\)\s*\(([^;]*?)\)\s*;', code)
    known = set(opaque) | {e.name for e in enums} | {name for _, name, _ in raw_callbacks}
    callbacks = [Callback(name, parse_type(ret, known, name), parse_params(args, known, name))
                 for ret, name, args in raw_callbacks]
    if len(callbacks) != len(re.findall(r'\btypedef\s[^;{}]*\(\s*\*', code)):
        raise HeaderError('a function pointer typedef is not written as typedef R (*deep_x)(params);')

    functions = []
    for decl in re.findall(r'\bDEEP_API\b([^;{}]*);', code):
        m = re.fullmatch(r'\s*(.*?)\b(deep_\w+)\s*\((.*)\)\s*', decl, re.S)
        if not m or not m.group(1).strip():
            raise HeaderError(f'cannot read the declaration DEEP_API {" ".join(decl.split())!r}')
        name = m.group(2)
        functions.append(Function(name, parse_type(m.group(1), known, name),
                                  parse_params(m.group(3), known, name)))
    exported = set(re.findall(r'\b(deep_\w+)\s*\(', ' '.join(re.findall(r'\bDEEP_API\b[^;{}]*;', code))))
    if len(functions) != len({f.name for f in functions}) or len(exported) != len(functions):
        raise HeaderError('a function is declared twice, or a DEEP_API declaration holds more than one')
    return Header(macros, opaque, enums, callbacks, functions)

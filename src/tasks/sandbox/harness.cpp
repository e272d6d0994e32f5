// The Python harness every sandboxed run executes (python3 -I -B -c SOURCE). It reads the run's
// nonce from fd 3, runs program.py as module __t2_program__, rewrites the comparisons and asserts
// of tests.py so that values whose equality, ordering or truth come from code defined by the
// program are refused, runs the tests, and only then writes "T2RESULT <nonce> PASS" to fd 4.
// Any exit before that point (sys.exit, os._exit, a crash, a kill) leaves no PASS behind.
#include "tasks/sandbox/sandbox.h"

namespace t2::tasks::sandbox {

const std::string& harness_source() {
  static const std::string kSource = R"PY(
def _t2_run():
    import os, sys, ast, builtins
    _write, _exit, _type, _isinstance = os.write, os._exit, type, isinstance
    _getattr, _len, _bool = getattr, len, bool
    nonce = os.read(3, 128).decode('ascii').strip()
    os.close(3)
    res_fd = 4
    def report(kind, detail=''):
        line = 'T2RESULT %s %s %s\n' % (nonce, kind, ' '.join(str(detail).split())[:300])
        try:
            _write(res_fd, line.encode('utf-8', 'replace'))
        except BaseException:
            pass
    def finish(kind, detail=''):
        report(kind, detail)
        try:
            sys.stdout.flush(); sys.stderr.flush()
        except BaseException:
            pass
        _exit(0)
    try:
        with open('program.py', encoding='utf-8') as f:
            prog_src = f.read()
        with open('tests.py', encoding='utf-8') as f:
            test_src = f.read()
    except BaseException as e:
        finish('ERROR', 'cannot read inputs: %r' % (e,))
    stdlib = os.path.dirname(os.__file__)
    plain = {int, float, complex, bool, str, bytes, type(None), type(Ellipsis), range, slice}
    seqs = (list, tuple, set, frozenset)
    guarded = ('__eq__', '__ne__', '__lt__', '__le__', '__gt__', '__ge__', '__bool__', '__len__',
               '__contains__', '__iter__', '__abs__', '__float__', '__int__', '__index__')
    def trusted_method(fn):
        code = _getattr(fn, '__code__', None)
        if code is None:
            inner = _getattr(fn, '__func__', None)
            code = _getattr(inner, '__code__', None) if inner is not None else None
        if code is None:
            return True  # implemented in C: a builtin or extension type
        return code.co_filename.startswith(stdlib)
    def trusted(x):
        stack, seen = [x], 0
        while stack:
            v = stack.pop()
            seen += 1
            if seen > 2000000:
                return True
            t = _type(v)
            if t in plain:
                continue
            if t is list or t is tuple or t is set or t is frozenset:
                stack.extend(v)
                continue
            if t is dict:
                stack.extend(v.keys()); stack.extend(v.values())
                continue
            for name in guarded:
                for k in t.__mro__:
                    if name in k.__dict__:
                        if not trusted_method(k.__dict__[name]):
                            return False
                        break
            if _isinstance(v, dict):
                stack.extend(dict.keys(v)); stack.extend(dict.values(v))
            elif _isinstance(v, seqs):
                for base in seqs:
                    if _isinstance(v, base):
                        stack.extend(base.__iter__(v))
                        break
        return True
    import operator
    opfn = {'Eq': operator.eq, 'NotEq': operator.ne, 'Lt': operator.lt, 'LtE': operator.le,
            'Gt': operator.gt, 'GtE': operator.ge, 'In': lambda a, b: a in b,
            'NotIn': lambda a, b: a not in b, 'Is': operator.is_, 'IsNot': operator.is_not}
    class Untrusted(AssertionError):
        pass
    def compare(ops, *vals):
        for i, op in enumerate(ops):
            a, b = vals[i], vals[i + 1]
            if op not in ('Is', 'IsNot') and not (trusted(a) and trusted(b)):
                raise Untrusted('comparison involves a value whose comparison is defined by the program')
            r = opfn[op](a, b)
            if _type(r) is not bool:
                if not trusted(r):
                    raise Untrusted('comparison result defined by the program')
                r = _bool(r)
            if not r:
                return False
        return True
    def truth(v):
        if _type(v) is bool:
            return v
        if not trusted(v):
            raise Untrusted('assert on a value whose truth is defined by the program')
        return _bool(v)
    cmp_name, truth_name = '_t2_cmp_' + nonce, '_t2_truth_' + nonce
    class Guard(ast.NodeTransformer):
        def visit_Compare(self, node):
            self.generic_visit(node)
            ops = ast.Tuple([ast.Constant(_type(o).__name__) for o in node.ops], ast.Load())
            return ast.Call(ast.Name(cmp_name, ast.Load()), [ops, node.left] + node.comparators, [])
        def visit_Assert(self, node):
            self.generic_visit(node)
            node.test = ast.Call(ast.Name(truth_name, ast.Load()), [node.test], [])
            return node
    try:
        tree = ast.parse(test_src, 'tests.py')
        tree = ast.fix_missing_locations(Guard().visit(tree))
        test_code = compile(tree, 'tests.py', 'exec')
    except BaseException as e:
        finish('ERROR', 'tests do not compile: %s' % (_type(e).__name__,))
    try:
        prog_code = compile(prog_src, 'program.py', 'exec')
    except BaseException as e:
        finish('FAIL', '%s: %s' % (_type(e).__name__, e))
    g = {'__name__': '__t2_program__', '__builtins__': builtins}
    sys.setrecursionlimit(3000)
    try:
        exec(prog_code, g)
    except SystemExit:
        finish('FAIL', 'program exited before the tests')
    except BaseException as e:
        finish('FAIL', 'program raised %s' % (_type(e).__name__,))
    g[cmp_name], g[truth_name] = compare, truth
    try:
        exec(test_code, g)
    except SystemExit:
        finish('FAIL', 'exit during the tests')
    except Untrusted as e:
        finish('FAIL', 'untrusted value: %s' % (e.args[0],))
    except AssertionError:
        finish('FAIL', 'AssertionError')
    except BaseException as e:
        finish('FAIL', 'tests raised %s' % (_type(e).__name__,))
    finish('PASS')
_t2_run()
)PY";
  return kSource;
}

}  // namespace t2::tasks::sandbox

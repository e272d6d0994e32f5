// The Python harness every sandboxed run executes (python3 -I -B -c SOURCE). It splits the run
// into two processes so that the verdict does not depend on anything the program can see:
//  - the tests' process (the harness itself) makes itself non-dumpable, forks the program's
//    process, then reads the run's nonce and the task's entry points from fd 3 and the tests from
//    tests.py (and unlinks it);
//  - the program's process never holds the nonce, the result pipe or the tests: it runs program.py
//    and answers requests over a pipe pair (call, attribute, item, iteration, str/repr), with
//    pickled values: plain built-in values travel by value, other objects as handles.
// The tests run in the tests' process with the names the program defined bound to proxies (or
// values), except that builtins and standard modules keep their own meaning unless a name is an
// entry point; comparisons and truth of the program's objects are refused, and the program's
// answers are unpickled with an allow-list of value classes, so nothing it sends can run code
// there. Only after the last test does the tests' process write "T2RESULT <nonce> PASS" to fd 4.
// Any exit before that point (sys.exit, os._exit, a crash, a kill) leaves no PASS behind.
#include "tasks/sandbox/sandbox.h"

namespace t2::tasks::sandbox {

const std::string& harness_source() {
  static const std::string kSource = R"PY(
def _t2_send(fd, data):
    # One frame (8-byte length, then the bytes) to a pipe; False when the reader is gone.
    import os
    view = memoryview(len(data).to_bytes(8, 'little') + data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        return False
    return True


def _t2_receive(fd, limit):
    # One frame from a pipe; None at end of file or when it claims more than limit bytes.
    import os
    def exact(n):
        buf = bytearray()
        while len(buf) < n:
            b = os.read(fd, n - len(buf))
            if not b:
                return None
            buf += b
        return bytes(buf)
    head = exact(8)
    n = int.from_bytes(head, 'little') if head is not None else limit + 1
    return exact(n) if n <= limit else None


def _t2_program(req_fd, ans_fd):
    # The program's process. It never holds the tests, the nonce or the result pipe: it runs
    # program.py when the tests' process asks, then answers its requests (call, attribute, item,
    # iteration, ...). Answers are pickled; values of plain built-in types and of a few standard
    # library value classes travel by value, every other object stays here and travels as a handle.
    import os, sys, io, builtins, _pickle as pickle  # _pickle: the C pickler, without pickle.py's imports
    sys.setrecursionlimit(3000)
    objects, handles = [], {}
    plain = {int, float, complex, bool, str, bytes, bytearray, type(None), list, tuple, dict, set,
             frozenset, range, slice, type(Ellipsis), type(NotImplemented)}
    by_value = {('collections', 'OrderedDict'), ('collections', 'Counter'),
                ('collections', 'defaultdict'), ('collections', 'deque'), ('fractions', 'Fraction'),
                ('decimal', 'Decimal'), ('datetime', 'date'), ('datetime', 'time'),
                ('datetime', 'datetime'), ('datetime', 'timedelta'), ('datetime', 'timezone')}
    classes = by_value | {('builtins', t.__name__) for t in plain if t.__module__ == 'builtins'}
    views = {type({}.keys()): 'keys', type({}.values()): 'values', type({}.items()): 'items'}
    module = type(sys)

    def handle(obj):
        h = handles.get(id(obj))
        if h is None:
            h = handles[id(obj)] = len(objects)
            objects.append(obj)
        return h

    class Out(pickle.Pickler):
        def persistent_id(self, obj):
            t = type(obj)
            if t in plain or (t.__module__, t.__qualname__) in by_value:
                return None
            if t is type and (obj.__module__, obj.__qualname__) in classes:
                return None
            if t in views:
                return (views[t], list(obj))
            if t is module and obj.__name__.partition('.')[0] in sys.stdlib_module_names:
                return ('module', obj.__name__)
            return ('h', handle(obj))

    class In(pickle.Unpickler):
        def persistent_load(self, pid):
            return objects[pid[1]]

    def send(answer):
        try:
            sys.stdout.flush(); sys.stderr.flush()
        except BaseException:
            pass
        f = io.BytesIO()
        try:
            Out(f, 5).dump(answer)
        except Exception:  # e.g. too deep to pickle: the value stays here
            f = io.BytesIO()
            Out(f, 5).dump(('handle', handle(answer[1])) if answer[0] == 'ok' else ('exc', 'Exception', ''))
        if not _t2_send(ans_fd, f.getvalue()):
            os._exit(0)

    def start():
        try:
            with open('program.py', encoding='utf-8') as f:
                code = compile(f.read(), 'program.py', 'exec')
        except BaseException as e:
            return ('fail', '%s: %s' % (type(e).__name__, e))
        g = {'__name__': '__t2_program__', '__builtins__': builtins}
        try:
            exec(code, g)
        except SystemExit:
            return ('fail', 'program exited before the tests')
        except BaseException as e:
            return ('fail', 'program raised %s' % (type(e).__name__,))
        return ('ok', [(k, v) for k, v in g.items() if not (k.startswith('__') and k.endswith('__'))])

    ops = {'call': lambda o, a, k: o(*a, **k), 'getattr': getattr, 'setattr': setattr,
           'delattr': delattr, 'getitem': lambda o, k: o[k],
           'setitem': lambda o, k, v: o.__setitem__(k, v), 'delitem': lambda o, k: o.__delitem__(k),
           'iter': iter, 'next': next, 'len': len, 'str': str, 'repr': repr}
    while True:
        frame = _t2_receive(req_fd, 1 << 40)
        if frame is None:
            os._exit(0)  # the tests' process is done
        request = In(io.BytesIO(frame)).load()
        try:
            answer = start() if request[0] == 'start' else (
                'ok', ops[request[0]](objects[request[1]], *request[2:]))
        except SystemExit:
            answer = ('exit',)
        except BaseException as e:
            try:
                text = str(e)[:300]
            except BaseException:
                text = ''
            answer = ('exc', type(e).__name__, text)
        send(answer)


def _t2_run():
    # The tests' process: it holds the nonce, the result pipe and the tests, and runs the tests with
    # every name the program defined bound to a proxy of the program's object.
    import os, sys, io, builtins, _pickle as pickle
    _write, _exit, _type, _getattr, _issubclass = os.write, os._exit, type, getattr, issubclass
    # Non-dumpable: the program's process (same user) cannot open /proc/PID/{mem,fd,environ} of
    # this one without CAP_SYS_PTRACE, which no process in the sandbox has. Then fork the program's
    # process before the nonce or the tests are read, so its memory never held them.
    setup_error = ''
    try:
        import ctypes
        if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
            setup_error = 'prctl(PR_SET_DUMPABLE, 0): errno %d' % ctypes.get_errno()
    except BaseException as e:
        setup_error = 'cannot make the tests process private: %s' % (_type(e).__name__,)
    if not setup_error:
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        if os.fork() == 0:
            os.close(3); os.close(4); os.close(req_w); os.close(ans_r)
            _t2_program(req_r, ans_w)
            _exit(0)
        os.close(req_r); os.close(ans_w)
    control = b''
    while len(control) < 65536:
        chunk = os.read(3, 65536)
        if not chunk:
            break
        control += chunk
    os.close(3)
    control = control.decode('ascii', 'replace').split('\n')
    nonce = control[0].strip()
    entry_points = set(control[1].split()) if len(control) > 1 else set()
    def finish(kind, detail=''):
        line = 'T2RESULT %s %s %s\n' % (nonce, kind, ' '.join(str(detail).split())[:300])
        try:
            _write(4, line.encode('utf-8', 'replace'))
        except BaseException:
            pass
        try:
            sys.stdout.flush(); sys.stderr.flush()
        except BaseException:
            pass
        _exit(0)
    if setup_error:
        finish('ERROR', setup_error)
    try:
        with open('tests.py', encoding='utf-8') as f:
            test_src = f.read()
        os.unlink('tests.py')  # before the program runs: it shares the directory
    except BaseException as e:
        finish('ERROR', 'cannot read the tests: %s' % (_type(e).__name__,))
    try:
        test_code = compile(test_src, 'tests.py', 'exec')
    except BaseException as e:
        finish('ERROR', 'tests do not compile: %s' % (_type(e).__name__,))

    # The first thing the program did wrong decides the verdict, even if the tests catch it.
    problem = []
    class Untrusted(AssertionError):
        pass
    class ProgramGone(BaseException):
        pass
    def refuse(what):
        problem.append('untrusted value: ' + what)
        raise Untrusted(what)
    def gone(what):
        problem.append(what)
        raise ProgramGone(what)

    proxies = {}
    class Proxy:
        # An object of the program. Operations that hand the program nothing of the tests' values
        # are forwarded; comparisons and truth are refused: they would give it the expected value,
        # or let an object decide the verdict without knowing it.
        __slots__ = ('_t2_handle',)
        def __call__(self, *args, **kwargs):
            return rpc('call', self, args, kwargs)
        def __getattr__(self, name):
            return rpc('getattr', self, name)
        def __setattr__(self, name, value):
            rpc('setattr', self, name, value)
        def __delattr__(self, name):
            rpc('delattr', self, name)
        def __getitem__(self, key):
            return rpc('getitem', self, key)
        def __setitem__(self, key, value):
            rpc('setitem', self, key, value)
        def __delitem__(self, key):
            rpc('delitem', self, key)
        def __iter__(self):
            return rpc('iter', self)
        def __next__(self):
            return rpc('next', self)
        def __len__(self):
            return rpc('len', self)
        def __str__(self):
            return rpc('str', self)
        def __repr__(self):
            return rpc('repr', self)
        def __eq__(self, other):
            refuse('a comparison involves an object of the program')
        __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
        def __bool__(self):
            refuse('an assert on the truth of an object of the program')
        __hash__ = object.__hash__
    def proxy(h):
        p = proxies.get(h)
        if p is None:
            p = proxies[h] = object.__new__(Proxy)
            object.__setattr__(p, '_t2_handle', h)
        return p
    handle_of = Proxy._t2_handle.__get__

    allowed = {('builtins', n) for n in ('int', 'float', 'complex', 'bool', 'str', 'bytes',
               'bytearray', 'list', 'tuple', 'dict', 'set', 'frozenset', 'range', 'slice',
               'Ellipsis', 'NotImplemented')}
    allowed |= {('collections', 'OrderedDict'), ('collections', 'Counter'),
                ('collections', 'defaultdict'), ('collections', 'deque'), ('fractions', 'Fraction'),
                ('decimal', 'Decimal'), ('datetime', 'date'), ('datetime', 'time'),
                ('datetime', 'datetime'), ('datetime', 'timedelta'), ('datetime', 'timezone')}
    class In(pickle.Unpickler):
        # The program's bytes are untrusted: only the classes above can be named (no function,
        # nothing that runs code), every other object arrives as a proxy.
        def find_class(self, module, name):
            if (module, name) not in allowed:
                raise pickle.UnpicklingError('the program sent a %s.%s' % (module, name))
            __import__(module)
            return _getattr(sys.modules[module], name)
        def persistent_load(self, pid):
            kind, v = pid if _type(pid) is tuple and len(pid) == 2 else (None, None)
            if kind == 'h' and _type(v) is int:
                return proxy(v)
            if kind == 'keys' and _type(v) is list:
                return dict.fromkeys(v).keys()
            if kind == 'values' and _type(v) is list:
                return dict(enumerate(v)).values()
            if kind == 'items' and _type(v) is list:
                return dict(v).items()
            if kind == 'module' and _type(v) is str and v.partition('.')[0] in sys.stdlib_module_names:
                __import__(v)
                return sys.modules[v]
            raise pickle.UnpicklingError('malformed handle')
    class Out(pickle.Pickler):
        def persistent_id(self, obj):
            return ('h', handle_of(obj)) if _type(obj) is Proxy else None

    def rpc(op, target, *args):
        f = io.BytesIO()
        Out(f, 5).dump((op,) if target is None else (op, handle_of(target)) + args)
        if not _t2_send(req_w, f.getvalue()):
            gone('the program ended during the tests')
        frame = _t2_receive(ans_r, 1 << 31)
        if frame is None:
            gone('the program ended during the tests, or sent a malformed answer')
        answer = In(io.BytesIO(frame)).load()
        kind = answer[0] if _type(answer) is tuple and answer else None
        if kind == 'ok' and len(answer) == 2:
            return answer[1]
        if kind == 'handle' and len(answer) == 2 and _type(answer[1]) is int:
            return proxy(answer[1])
        if kind == 'exc' and len(answer) == 3:
            # Built-in exception classes keep their identity (tests catch ValueError, iteration
            # ends on StopIteration); anything else becomes a RuntimeError.
            cls = _getattr(builtins, answer[1], None) if _type(answer[1]) is str else None
            text = '%s' % (answer[2],)
            exc = None
            if _type(cls) is type and _issubclass(cls, Exception):
                try:
                    exc = cls(text)
                except Exception:
                    pass
            raise exc if exc is not None else RuntimeError('the program raised %s: %s' % (answer[1], text))
        if kind == 'exit':
            gone('exit during the tests')
        if kind == 'fail' and op == 'start' and len(answer) == 2:
            finish('FAIL', answer[1])
        gone('malformed answer from the program')

    # The tests' free names: their own definitions, then builtins and standard modules by their own
    # names, then what the program defined. A program's abs, set or math never stands in for the
    # real one (it would compute on the tests' own values, expected ones included), except for the
    # entry points the task asks for under a builtin's name.
    shadowed = set(dir(builtins)) | set(sys.stdlib_module_names)
    try:
        names = rpc('start', None)
        g = {'__name__': '__t2_tests__', '__builtins__': builtins}
        for name, value in names:
            name = '%s' % (name,)
            if name in shadowed and name not in entry_points and not (
                    _type(value) is _type(sys) and value.__name__ == name):
                continue
            g[name] = value
    except ProgramGone:
        finish('FAIL', 'the program ended before the tests' if problem[0].startswith('the program ended')
               else problem[0])
    except BaseException as e:
        finish('FAIL', 'malformed answer from the program: %s' % (_type(e).__name__,))
    sys.setrecursionlimit(3000)
    try:
        exec(test_code, g)
    except (Untrusted, ProgramGone):
        pass
    except AssertionError:
        problem.append('AssertionError')
    except BaseException as e:
        problem.append('tests raised %s' % (_type(e).__name__,))
    if problem:
        finish('FAIL', problem[0])
    finish('PASS')
_t2_run()
)PY";
  return kSource;
}

}  // namespace t2::tasks::sandbox

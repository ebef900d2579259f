/* cext._speedups: version() names the source version, init_count() counts
   how often the module init ran in this process. Builds for 2.7, 3.x, PyPy. */
#include <Python.h>

static int init_count = 0;

static PyObject *
speedups_version(PyObject *self, PyObject *unused)
{
#if PY_MAJOR_VERSION >= 3
    return PyUnicode_FromString("_speedups@1");
#else
    return PyString_FromString("_speedups@1");
#endif
}

static PyObject *
speedups_init_count(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong(init_count);
}

static PyMethodDef speedups_methods[] = {
    {"version", speedups_version, METH_NOARGS, "The source version."},
    {"init_count", speedups_init_count, METH_NOARGS, "Module inits so far."},
    {NULL, NULL, 0, NULL}
};

#if PY_MAJOR_VERSION >= 3
static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, speedups_methods
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    init_count++;
    return PyModule_Create(&speedups_module);
}
#else
PyMODINIT_FUNC
init_speedups(void)
{
    init_count++;
    Py_InitModule("_speedups", speedups_methods);
}
#endif

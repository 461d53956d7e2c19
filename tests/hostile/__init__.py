"""The hostile-input corpus: files and scenarios made to break the importer, generated in tests.

- :mod:`tests.hostile.files` builds xlsx workbooks part by part (so parts can be malformed, huge,
  lying about their sizes or declaring entities) and csv files;
- :mod:`tests.hostile.corpus` lists every case: what it is, the command it runs and what the
  clear error must say;
- :mod:`tests.hostile.runner` runs cases each in a forked child process with its address space
  limited (``resource.setrlimit``) and a timeout, and reports exit code, stderr, seconds and
  peak resident memory.
"""

"""What differs between Linux, macOS and Windows, below every layer (stdlib only).

One module per concern, one function per OS where the OS's call differs, chosen at run
time (from ``sys.platform``, or by which of two modules the OS has): ``files`` (binary
and durable writes), ``lock`` (the data folder's lock) and ``memory`` (glibc's
allocator). The desktop's own differences (reveal, notifications, trash) are Qt's and
live in ``videostudio/ui/desktop``. Nothing outside these two places names a facility
only one OS has (tests/test_platform_lint.py says so).
"""

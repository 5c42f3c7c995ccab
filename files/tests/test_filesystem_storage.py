"""What only the filesystem adapter has to guard: keys are paths there."""

import pytest

from files.backends.filesystem import FilesystemStorage


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "uploads/../../x", "", "uploads/a\\..\\b"])
def test_keys_that_are_not_the_servers_own_are_refused(tmp_path, key):
    with pytest.raises(ValueError):
        FilesystemStorage(tmp_path).size(key)


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    class Broken:
        def read(self, n=-1):
            raise OSError("the client went away")

    storage = FilesystemStorage(tmp_path)
    with pytest.raises(OSError):
        storage.put("uploads/x/original", Broken(), "text/plain")
    assert storage.size("uploads/x/original") is None
    assert not list((tmp_path / "uploads" / "x").iterdir())

"""codecflow.set_num_threads: the process-wide cap on codecflow's own threads."""

import os

import pytest

import codecflow


@pytest.fixture(autouse=True)
def _default_after():
    yield
    codecflow.set_num_threads(None)


def test_default_is_the_cores_this_process_may_use():
    codecflow.set_num_threads(None)
    assert codecflow.get_num_threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n", [1, 3, 4096])
def test_set_value_is_reported(n):
    codecflow.set_num_threads(n)
    assert codecflow.get_num_threads() == n


def test_none_restores_the_default():
    codecflow.set_num_threads(7)
    codecflow.set_num_threads(None)
    assert codecflow.get_num_threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n", [0, -1, 4097, 2**70])
def test_out_of_range_is_a_value_error_naming_the_bounds(n):
    codecflow.set_num_threads(2)
    with pytest.raises(ValueError, match=r"num_threads.*\[1, 4096\]"):
        codecflow.set_num_threads(n)
    assert codecflow.get_num_threads() == 2


@pytest.mark.parametrize("n", [2.0, "2", True])
def test_non_integers_are_refused(n):
    with pytest.raises(ValueError, match="num_threads"):
        codecflow.set_num_threads(n)

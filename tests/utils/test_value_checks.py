import math

import pytest

from mpafer_plugin.utils.value_checks import (CheckedNumber, check_class_names,
                                              check_number)


@pytest.mark.parametrize('value',
                         [math.nan, math.inf, -math.inf, True, '1', None])
def test_non_numbers_and_non_finite_values_are_refused(value):
    with pytest.raises(ValueError, match='key=.*must be a finite number'):
        check_number(value, 'key')


def test_ranges_and_integers():
    assert check_number(0, 'k', 0) == 0
    with pytest.raises(ValueError, match=r'k=0: must be a finite number > 0'):
        check_number(0, 'k', 0, low_open=True)
    with pytest.raises(ValueError, match=r'in \[1, 3\]'):
        check_number(4, 'k', 1, 3)
    assert check_number(8.0, 'k', integer=True) == 8
    assert isinstance(check_number(8.0, 'k', integer=True), int)
    with pytest.raises(ValueError, match='k=8.5: must be an integer'):
        check_number(8.5, 'k', integer=True)


def test_a_checked_number_is_checked_whenever_it_is_set():

    class Settings:
        topk = CheckedNumber('model.head.topk', 1, integer=True)

    settings = Settings()
    settings.topk = 8.0
    assert settings.topk == 8 and settings._topk == 8
    with pytest.raises(ValueError, match='model.head.topk=0: must be an'):
        settings.topk = 0
    assert settings.topk == 8
    assert isinstance(Settings.topk, CheckedNumber)


def test_class_names():
    assert check_class_names(('a', 'b'), 'k') == ['a', 'b']
    with pytest.raises(ValueError, match=r"\['anger'\] are listed more"):
        check_class_names(['fear', 'anger', 'Anger'], 'k')
    with pytest.raises(ValueError, match='non-empty strings'):
        check_class_names(['fear', ''], 'k')
    with pytest.raises(ValueError, match='one string'):
        check_class_names('fear', 'k')

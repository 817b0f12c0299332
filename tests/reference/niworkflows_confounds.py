# Verbatim copy of two functions of niworkflows (niworkflows/interfaces/confounds.py, commit
# d991644f3a769d7c84e7c8bb897ea30fb96885df of https://github.com/nipreps/niworkflows), the
# expansions that fMRIPrep's ExpandModel('(dd1(rps + wm + csf + gsr))^^2 + others') applies
# (fmriprep/workflows/bold/confounds.py). Used as the independent reference of
# trialmri.fc.confound_columns in tests/accuracy/test_confound_columns_fmriprep.py.
#
# Copyright 2021 The NiPreps Developers <nipreps@gmail.com>
# Licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
# Only the imports the two functions need are kept.
"""niworkflows' ``temporal_derivatives`` and ``exponential_terms``, verbatim."""

import operator
from collections import OrderedDict
from functools import reduce

import numpy as np
import pandas as pd


def temporal_derivatives(order, variables, data):
    """
    Compute temporal derivative terms by the method of backwards differences.

    Parameters
    ----------
    order : :obj:`list` of :obj:`int`
        A list of temporal derivative terms to include. For instance, ``[1, 2]``
        indicates that the first and second derivative terms should be added.
        To retain the original terms, ``0`` *must* be included in the list.
    variables : :obj:`list` of :obj:`str`
        List of variables for which temporal derivative terms should be
        computed.
    data : :obj:`~pandas.DataFrame`
        Table of values of all observations of all variables.

    Returns
    -------
    variables_deriv : :obj:`list`
        A list of variables to include in the final data frame after adding
        the specified derivative terms.
    data_deriv : :obj:`~pandas.DataFrame`
        Table of values of all observations of all variables, including any
        specified derivative terms.

    """
    variables_deriv = OrderedDict()
    data_deriv = OrderedDict()
    if 0 in order:
        data_deriv[0] = data[variables]
        variables_deriv[0] = variables
        order = set(order) - {0}
    for o in order:
        variables_deriv[o] = [f'{v}_derivative{o}' for v in variables]
        data_deriv[o] = np.tile(np.nan, data[variables].shape)
        data_deriv[o][o:, :] = np.diff(data[variables], n=o, axis=0)
    variables_deriv = reduce(operator.add, variables_deriv.values())
    data_deriv = pd.DataFrame(
        columns=variables_deriv, data=np.concatenate([*data_deriv.values()], axis=1)
    )

    return (variables_deriv, data_deriv)


def exponential_terms(order, variables, data):
    """
    Compute exponential expansions.

    Parameters
    ----------
    order : :obj:`list` of :obj:`int`
        A list of exponential terms to include. For instance, ``[1, 2]``
        indicates that the first and second exponential terms should be added.
        To retain the original terms, ``1`` *must* be included in the list.
    variables : :obj:`list` of :obj:`str`
        List of variables for which exponential terms should be computed.
    data : :obj:`~pandas.DataFrame`
        Table of values of all observations of all variables.

    Returns
    -------
    variables_exp : :obj:`list`
        A list of variables to include in the final data frame after adding
        the specified exponential terms.
    data_exp : :obj:`~pandas.DataFrame`
        Table of values of all observations of all variables, including any
        specified exponential terms.

    """
    variables_exp = OrderedDict()
    data_exp = OrderedDict()
    if 1 in order:
        data_exp[1] = data[variables]
        variables_exp[1] = variables
        order = set(order) - {1}
    for o in order:
        variables_exp[o] = [f'{v}_power{o}' for v in variables]
        data_exp[o] = data[variables] ** o
    variables_exp = reduce(operator.add, variables_exp.values())
    data_exp = pd.DataFrame(
        columns=variables_exp, data=np.concatenate([*data_exp.values()], axis=1)
    )
    return (variables_exp, data_exp)

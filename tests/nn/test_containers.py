"""ModuleList, ModuleDict, ParameterList, ParameterDict and Sequential indexing, as PyTorch's."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def _layers(n):
    return [nn.Linear(2, 2) for _ in range(n)]


def test_module_list_indexes_like_a_list_including_negative_indices():
    layers = _layers(3)
    ml = nn.ModuleList(layers)
    assert len(ml) == 3
    assert ml[0] is layers[0] and ml[-1] is layers[2] and ml[-3] is layers[0]
    assert list(ml) == layers


def test_a_module_list_slice_is_a_module_list_of_the_same_modules():
    layers = _layers(4)
    part = nn.ModuleList(layers)[1:3]
    assert isinstance(part, nn.ModuleList)
    assert list(part) == layers[1:3]
    assert list(part.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_append_extend_insert_and_iadd_keep_pytorch_numbering():
    a, b, c, d, e = _layers(5)
    ml = nn.ModuleList([a])
    assert ml.append(b) is ml
    ml.extend([c])
    ml += [d]
    ml.insert(1, e)
    assert list(ml) == [a, e, b, c, d]
    assert list(ml._modules) == ["0", "1", "2", "3", "4"]
    ml.insert(-1, a)  # before the last, as list.insert
    assert list(ml)[-2] is a


def test_del_and_setitem_renumber_and_replace():
    a, b, c = _layers(3)
    ml = nn.ModuleList([a, b, c])
    del ml[0]
    assert list(ml) == [b, c] and list(ml._modules) == ["0", "1"]
    ml[-1] = a
    assert list(ml) == [b, a]
    del ml[0:2]
    assert len(ml) == 0


def test_module_list_registers_parameters_under_pytorch_keys():
    ml = nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)])
    assert list(ml.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(ml.parameters())) == 4


def test_module_list_state_dict_keys_equal_torch():
    torch = pytest.importorskip("torch")
    ours = nn.ModuleList([nn.Linear(2, 3), nn.ModuleList([nn.Linear(3, 3), nn.Tanh()]), nn.Linear(3, 1)])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.ModuleList([torch.nn.Linear(3, 3),
                                                                            torch.nn.Tanh()]), torch.nn.Linear(3, 1)])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours[1][0].weight.numpy(), theirs[1][0].weight.detach().numpy())


@pytest.mark.parametrize("action", [
    lambda ml: ml[3], lambda ml: ml[-4], lambda ml: ml.__setitem__(5, nn.Tanh()), lambda ml: ml.__delitem__(3)],
    ids=["get 3", "get -4", "set 5", "del 3"])
def test_an_index_out_of_range_names_the_index_and_length_and_changes_nothing(action):
    layers = _layers(3)
    ml = nn.ModuleList(layers)
    with pytest.raises(IndexError, match=r"index -?\d is out of range for length 3"):
        action(ml)
    assert list(ml) == layers


def test_a_non_module_is_refused_and_extend_adds_nothing_then():
    ml = nn.ModuleList(_layers(1))
    with pytest.raises(TypeError, match="holds Modules, got int"):
        ml.extend([nn.Tanh(), 3])
    assert len(ml) == 1
    with pytest.raises(TypeError, match="integers or slices, got str"):
        ml["0"]


def test_module_dict_maps_names_to_modules():
    md = nn.ModuleDict({"enc": nn.Linear(2, 2), "act": nn.ReLU()})
    md["dec"] = nn.Linear(2, 1)
    assert list(md) == ["enc", "act", "dec"] and "act" in md and len(md) == 3
    assert list(md.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert isinstance(md.pop("act"), nn.ReLU) and list(md.keys()) == ["enc", "dec"]
    with pytest.raises(KeyError, match="no key 'missing'"):
        md["missing"]


def test_parameter_list_and_dict_register_parameters():
    pl = nn.ParameterList([nn.Parameter(lucid.ones(2)), lucid.zeros(3)])
    pl.append(lucid.ones(1))
    assert [p.shape for p in pl] == [(2,), (3,), (1,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in pl)
    assert list(pl.state_dict()) == ["0", "1", "2"]
    assert pl[-1].shape == (1,)
    pd = nn.ParameterDict({"alpha": lucid.ones(4)})
    pd["beta"] = nn.Parameter(lucid.zeros(1))
    assert list(pd.state_dict()) == ["alpha", "beta"] and pd["alpha"].shape == (4,)


def test_parameters_in_a_parameter_list_train():
    alphas = nn.ParameterList([nn.Parameter(lucid.ones(2)) for _ in range(2)])
    loss = (alphas[0] * 3 + alphas[1]).sum()
    loss.backward()
    np.testing.assert_array_equal(alphas[0].grad.numpy(), [3, 3])


def test_sequential_slices_keep_their_keys_and_append_insert_work():
    a, b, c = _layers(3)
    seq = nn.Sequential(a, b)
    part = seq[1:]
    assert isinstance(part, nn.Sequential) and list(part._modules) == ["1"] and part[0] is b
    seq.append(c)
    seq.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in seq] == ["Tanh", "Linear", "Linear", "Linear"]
    assert seq[-1] is c
    x = lucid.ones(1, 2)
    out = seq(x)
    assert out.shape == (1, 2)

"""method="exact" on models with their own forward (Captum's test models, written here as Captum
defines them; a ResNet-style block), decided from the operations run; refusals name the op."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from numeric import exact_integrated_gradients, integrated_gradients
from numeric.exact import check_piecewise_linear
from proofs.errors import UnsupportedFunctionError

F64 = torch.float64


class BasicModel2(nn.Module):
    """Captum's tests/helpers/basic_models.py BasicModel2 (Sundararajan, Taly & Yan (2017),
    sec. 2): f(x1, x2) = RELU(ReLU(x1) - 1 - ReLU(x2))."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, input1, input2):
        relu_out1 = F.relu(input1)
        relu_out2 = F.relu(input2)
        return F.relu(relu_out1 - 1 - relu_out2)


class MultiRelu(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.relu1 = nn.ReLU(inplace=inplace)
        self.relu2 = nn.ReLU(inplace=inplace)

    def forward(self, arg1, arg2):
        return (self.relu1(arg1), self.relu2(arg2))


class BasicModel_MultiLayer(nn.Module):  # noqa: N801  (Captum's name)
    """Captum's BasicModel_MultiLayer, as Captum defines it."""

    def __init__(self, inplace: bool = False, multi_input_module: bool = False) -> None:
        super().__init__()
        # Linear 0 is simply identity transform
        self.multi_input_module = multi_input_module
        self.linear0 = nn.Linear(3, 3)
        self.linear0.weight = nn.Parameter(torch.eye(3))
        self.linear0.bias = nn.Parameter(torch.zeros(3))
        self.linear1 = nn.Linear(3, 4)
        self.linear1.weight = nn.Parameter(torch.ones(4, 3))
        self.linear1.bias = nn.Parameter(torch.tensor([-10.0, 1.0, 1.0, 1.0]))

        self.linear1_alt = nn.Linear(3, 4)
        self.linear1_alt.weight = nn.Parameter(torch.ones(4, 3))
        self.linear1_alt.bias = nn.Parameter(torch.tensor([-10.0, 1.0, 1.0, 1.0]))
        self.multi_relu = MultiRelu(inplace=inplace)
        self.relu = nn.ReLU(inplace=inplace)

        self.linear2 = nn.Linear(4, 2)
        self.linear2.weight = nn.Parameter(torch.ones(2, 4))
        self.linear2.bias = nn.Parameter(torch.tensor([-1.0, 1.0]))

    def forward(self, x, add_input=None, multidim_output: bool = False):
        input = x if add_input is None else x + add_input
        lin0_out = self.linear0(input)
        lin1_out = self.linear1(lin0_out)
        if self.multi_input_module:
            relu_out1, relu_out2 = self.multi_relu(lin1_out, self.linear1_alt(input))
            relu_out = relu_out1 + relu_out2
            self.relu(lin1_out)
        else:
            relu_out = self.relu(lin1_out)
        lin2_out = self.linear2(relu_out)
        if multidim_output:
            stack_mid = torch.stack((lin2_out, 2 * lin2_out), dim=2)
            return torch.stack((stack_mid, 4 * stack_mid), dim=3)
        else:
            return lin2_out


def test_captum_basic_model2_at_3_1_gives_1_5_and_minus_0_5():
    # Sundararajan, Taly & Yan (2017), sec. 2: along (3t, t) the inner argument 2t - 1 turns
    # positive at t = 1/2, so IG = (3 * 1/2, -1 * 1/2)
    model = BasicModel2()
    x = torch.tensor([[3.0, 1.0]])
    attr, delta = integrated_gradients(lambda z: model(z[:, 0], z[:, 1]), x, method="exact",
                                       return_delta=True)
    assert attr.tolist() == [[1.5, -0.5]]
    assert abs(float(delta[0])) < 1e-15


# (inplace and multi_input_module together fail in plain autograd too: relu_ of a relu_ output)
@pytest.mark.parametrize("inplace,multi_input_module", [(False, False), (True, False),
                                                        (False, True)])
def test_captum_basic_model_multilayer_at_0_100_0(inplace, multi_input_module):
    # By hand: linear0 is the identity; along x(t) = (0, 100 t, 0) linear1 gives
    # (100 t - 10, 100 t + 1, 100 t + 1, 100 t + 1): units 2-4 are on for all t > 0, unit 1
    # switches on at t = 1/10. Output 0 is the sum of the four relus - 1, so dF/dx2 = 3 on
    # (0, 1/10) and 4 on (1/10, 1): IG_2 = 100 * (3/10 + 4 * 9/10) = 390; x1 = x3 = 0 give 0.
    # Check: F(x) - F(0) = (90 + 3 * 101 - 1) - (3 - 1) = 390. With multi_input_module the
    # alternative branch adds the same four relus again: IG_2 = 780.
    model = BasicModel_MultiLayer(inplace=inplace, multi_input_module=multi_input_module)
    x = torch.tensor([[0.0, 100.0, 0.0]])
    for target in (0, 1):
        r = exact_integrated_gradients(model, x, target=target)
        scale = 2 if multi_input_module else 1
        expected = torch.tensor([[0.0, 390.0 * scale, 0.0]], dtype=F64)
        assert float((r.attributions - expected).abs().max()) < 1e-12
        assert len(r.breakpoints[0][0]) == 1 and abs(r.breakpoints[0][0][0] - 0.1) < 1e-15
        assert r.regions == [2]
    attr = integrated_gradients(model, x, target=0, method="exact")
    assert attr.dtype == torch.float32
    assert torch.allclose(attr, expected.float(), rtol=0, atol=1e-4)


class ResBlockNet(nn.Module):
    """A torchvision-style residual block (in-place ReLU, ``out += identity``) on Linear
    layers, then a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 2)
        self.fc2 = nn.Linear(2, 2)
        self.relu = nn.ReLU(inplace=True)
        self.head = nn.Linear(2, 1)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.tensor([[1.0, 2.0], [1.0, -1.0]]))
            self.fc1.bias.copy_(torch.tensor([-1.0, 0.0]))
            self.fc2.weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 1.0]]))
            self.fc2.bias.copy_(torch.tensor([0.0, -2.0]))
            self.head.weight.copy_(torch.tensor([[1.0, -2.0]]))
            self.head.bias.fill_(0.5)

    def forward(self, x):
        identity = x
        out = self.relu(self.fc1(x))
        out = self.fc2(out)
        out += identity
        out = self.relu(out)
        return self.head(out)


#: ResBlockNet written out by hand for the proofs engine
RESBLOCK = ("relu(relu(x1 + 2*x2 - 1) - relu(x1 - x2) + x1) "
            "- 2*relu(relu(x1 + 2*x2 - 1)/2 + relu(x1 - x2) - 2 + x2) + 1/2")


@pytest.mark.parametrize("point,base", [((3.0, 1.5), (0.0, 0.0)), ((2.5, -1.0), (-1.0, 2.0))])
def test_custom_forward_residual_block_matches_the_symbolic_engine(point, base):
    proofs = pytest.importorskip("proofs")
    ref = proofs.integrated_gradients(proofs.Function(RESBLOCK), list(point), list(base),
                                      engine="symbolic")
    net = ResBlockNet().double()
    x = torch.tensor([point], dtype=F64)
    r = exact_integrated_gradients(net, x, torch.tensor([base], dtype=F64))
    got = r.attributions[0].tolist()
    assert max(abs(a - float(b)) for a, b in zip(got, ref.values, strict=True)) < 1e-13
    assert r.regions[0] == len(ref.breakpoints) + 1


def _conv_block_net():
    """A ResNet-style CNN with its own forward: conv-bn-relu, a residual block calling
    ``self.relu(out + identity)``, a functional max-pool, torch.maximum and clamp."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.stem = nn.Conv2d(2, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.conv1 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
            self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4 * 3 * 3, 3)

        def forward(self, x):
            out = F.relu(self.bn(self.stem(x)))
            identity = out
            out = self.relu(self.conv1(out))
            out = self.conv2(out)
            out = self.relu(out + identity)
            out = F.max_pool2d(out, 2)
            out = torch.maximum(out, 0.5 * out.flip(-1))
            out = out.clamp(max=3.0).abs()
            return self.fc(torch.flatten(out, 1))

    net = Net().double().eval()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    return net


def test_custom_forward_cnn_is_complete_and_the_limit_of_quadrature():
    net = _conv_block_net()
    x = torch.rand(2, 2, 6, 6, dtype=F64, generator=torch.Generator().manual_seed(1))
    r = exact_integrated_gradients(net, x, target=[0, 2])
    with torch.no_grad():
        rise = (net(x) - net(torch.zeros_like(x)))[[0, 1], [0, 2]]
    assert float((r.delta.abs() / rise.abs()).max()) < 1e-9
    fine = integrated_gradients(net, x, target=[0, 2], steps=3000, method="riemann_middle",
                                batch_size=6000)
    scale = float(r.attributions.abs().max())
    assert float((fine - r.attributions).abs().max()) < 2e-3 * scale
    kinds = check_piecewise_linear(net, x, target=[0, 2])
    assert any(k.startswith("max_pool2d") for k in kinds)
    assert any(k.startswith("maximum") for k in kinds) and any("clamp" in k for k in kinds)


def test_a_float32_model_is_run_in_float64_and_not_changed():
    net = _conv_block_net().float()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.rand(1, 2, 6, 6, generator=torch.Generator().manual_seed(3))
    r = exact_integrated_gradients(net, x, target=1)
    ref = exact_integrated_gradients(_conv_block_net(), x.double(), target=1)
    # the float64 walk of the float32 weights and of the float64 weights: the same function up
    # to float32 rounding of the weights
    assert r.attributions.dtype == F64
    assert float((r.attributions - ref.attributions).abs().max()) < 1e-4
    assert abs(float(r.delta[0])) < 1e-12
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert next(net.parameters()).dtype == torch.float32


class TanhNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return torch.tanh(self.fc(x)).sum(1)


@pytest.mark.parametrize("model,pattern", [
    (TanhNet(), r"^tanh in the model \(TanhNet\) is not piecewise linear; use "
                r"method='gausslegendre'$"),
    (lambda x: F.softmax(x, 1)[:, 0], r"^softmax in the forward at .*use method='gausslegendre'"),
    (lambda x: x[:, 0] * x[:, 1], r"^mul .*multiplies two input-dependent tensors"),
    (lambda x: 1.0 / x[:, 0], r"^rdiv .*divides by an input-dependent tensor"),
    (lambda x: x[:, 0] if float(x[0, 0]) > 0 else x[:, 1], r"^__float__ .*Python values"),
    (lambda x: x[:, 0] * x[:, 1].item(), r"^item .*Python values"),
    (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), r"^layer 1 \(Sigmoid\) is not piecewise "
                                                   r"linear; use method='gausslegendre'$"),
    (nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.ReLU()).train(),
     r"^batch_norm in layer 1 \(BatchNorm1d\) uses the batch's statistics.*model.eval\(\)$"),
    (nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train(),
     r"^dropout in layer 1 \(Dropout\) is random in training mode; call model.eval\(\)$"),
    (lambda x: x.to(torch.int64).sum(1), r"^to .*turns input-dependent values into torch.int64"),
    (lambda x: x.floor().sum(1), r"^floor in the forward at .*is not piecewise linear"),
])
def test_operations_that_are_not_piecewise_linear_are_refused_by_name(model, pattern):
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
    with pytest.raises(UnsupportedFunctionError, match=pattern):
        integrated_gradients(model, x, target=0 if isinstance(model, nn.Sequential) else None,
                             method="exact")


def test_operations_on_tensors_that_do_not_depend_on_the_input_pass():
    weight = torch.tensor([[2.0, -1.0]])

    def model(x):
        w = torch.tanh(torch.exp(weight))    # smooth, but not of the input
        return F.relu(x @ w.t() - 1).squeeze(1)

    x = torch.tensor([[2.0, 1.0]], dtype=F64)
    w = torch.tanh(torch.exp(weight)).double()[0]
    # relu(w.x t - 1) switches on at t = 1 / (w.x): IG = x * w * (1 - 1 / (w.x))
    wx = float(w @ x[0])
    expected = (x[0] * w * (1 - 1 / wx)).tolist()
    got = integrated_gradients(model, x, method="exact")[0].tolist()
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) < 1e-14


def test_trusted_is_deprecated_and_ignored():
    net = ResBlockNet().double()
    # (fc1's second unit, x1 - x2, is 0 all along the diagonal: F has no dF/dx there, so
    # proofs' tie rule refuses; the convention integrates relu'(0) = 0)
    with pytest.warns(DeprecationWarning, match="trusted= is no longer needed"):
        r = exact_integrated_gradients(net, torch.ones(1, 2, dtype=F64), trusted=(ResBlockNet,),
                                       on_tie="convention")
    assert abs(float(r.delta[0])) < 1e-14


def test_additional_forward_args_follow_their_example():
    # f(x; s) = relu(x1 - s) - relu(x2): per example, x1 switches on at t = s / x1
    def model(x, s, offset):
        return F.relu(x[:, 0] - s) - F.relu(x[:, 1]) + offset

    from numeric import exact_path_attribution

    x = torch.tensor([[4.0, 1.0], [2.0, 3.0]], dtype=F64)
    s = torch.tensor([1.0, 1.5], dtype=F64)
    r = exact_path_attribution(model, [torch.zeros_like(x), x], additional_forward_args=(s, 7.0))
    # IG_1 = x1 (1 - s / x1) = x1 - s; IG_2 = -x2
    expected = torch.tensor([[3.0, -1.0], [0.5, -3.0]], dtype=F64)
    assert float((r.attributions - expected).abs().max()) < 1e-15
    assert [round(b[0][0], 15) for b in r.breakpoints] == [0.25, 0.75]


@pytest.mark.parametrize("fn,expected", [
    # kinks exactly at t = 9/16, where the first pass probes (the middles of 8 equal parts):
    # the branch to the right of the probe is taken, by hand F(1) - F(0) split at 9/16
    (lambda x: F.relu(x[:, 0] - 0.5625), 0.4375),
    (lambda x: torch.maximum(x[:, 0], torch.full_like(x[:, 0], 0.5625)), 0.4375),
    (lambda x: F.max_pool1d(torch.stack([x[:, 0], 0.5625 + 0 * x[:, 0]], 1)[:, None], 2)
     .reshape(-1), 0.4375),
    (lambda x: (x[:, 0] - 0.5625).abs(), -0.125),
    (lambda x: x[:, 0].clamp(max=0.5625), 0.5625),
    (lambda x: F.leaky_relu(x[:, 0] - 0.5625, 0.25), 0.4375 + 0.25 * 0.5625),
])
def test_a_kink_exactly_at_a_probe_takes_the_branch_to_its_right(fn, expected):
    r = exact_integrated_gradients(fn, torch.ones(1, 1, dtype=F64))
    assert abs(float(r.attributions[0, 0]) - expected) < 1e-15
    assert r.breakpoints == [[[0.5625]]]

from minigrad import Tensor
x, y = Tensor(1.0), Tensor(0.0)            # one input, its target
w = Tensor(2.0, requires_grad=True)        # weight
b = Tensor(2.0, requires_grad=True)        # bias
a = (w * x + b).sigmoid()                  # a = σ(wx + b), confidently wrong
loss = 0.5 * (a - y) ** 2                  # squared error
loss.backward()                            # reverse-mode autodiff
print(f"a = {a.item():.4f}   loss = {loss.item():.4f}")
print(f"dL/dw = {w.grad.item():.4f}   dL/db = {b.grad.item():.4f}")
print(f"(a - y) * a * (1 - a) = {(a.item() - 0) * a.item() * (1 - a.item()):.4f}")

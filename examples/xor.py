import numpy as np
import minigrad as mg
from minigrad import Tensor, nn, optim

mg.manual_seed(0)
x = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
y = np.array([0, 1, 1, 0])                                   # XOR: class 1 when exactly one input is on
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
loss_fn = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.05)
for step in range(300):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
with mg.no_grad():
    predictions = model(x).data.argmax(axis=1)
print(f"loss {loss.item():.2f}, predictions {predictions.tolist()}")
mg.save(model.state_dict(), "xor.npz")                      # reload with model.load_state_dict(mg.load("xor.npz"))

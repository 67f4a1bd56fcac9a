"""A student's ``train_one_epoch`` for the lesson 2 tests, correct or with one of the mistakes
the self-check and the hidden test must recognize (switched off by the keyword flags)."""


def student_epoch(model, X, y, loss_fn, optimizer, batch_size=32, *, zero_grad=True, step=True,
                  weighted=True, train=True):
    if train:
        model.train()
    losses, sizes = [], []
    for start in range(0, len(X), batch_size):
        loss = loss_fn(model(X[start:start + batch_size]), y[start:start + batch_size])
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        if step:
            optimizer.step()
        losses.append(loss.item())
        sizes.append(len(X[start:start + batch_size]))
    if weighted:
        return sum(loss * s for loss, s in zip(losses, sizes)) / sum(sizes)
    return sum(losses) / len(losses)

"""The instructor's solutions, exactly as they appear in the source notebook.

The notebook builder copies each function's source into its solution cell; nbgrader's
`generate_assignment` then replaces every `### BEGIN SOLUTION` ... `### END SOLUTION` region
with the code stub, so the student keeps the signature, the docstring and the loop scaffolding.
Arrays are channels-last: a batch of activations has shape (m, n_H, n_W, n_C).
"""
import numpy as np


def zero_pad(X, pad):
    """
    Pad every image of the batch X with zeros around its height and width.

    Arguments:
    X -- numpy array of shape (m, n_H, n_W, n_C), a batch of m images
    pad -- int, how many rows and columns of zeros to add on each side

    Returns:
    X_pad -- numpy array of shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C)
    """
    ### BEGIN SOLUTION
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    ### END SOLUTION
    return X_pad


def conv_single_step(a_slice_prev, W, b):
    """
    Apply one filter to one window of the previous layer's activation.

    Arguments:
    a_slice_prev -- window of the input, numpy array of shape (f, f, n_C_prev)
    W -- the filter's weights, numpy array of shape (f, f, n_C_prev)
    b -- the filter's bias, numpy array of shape (1, 1, 1)

    Returns:
    Z -- a Python float, the sum over the window of a_slice_prev * W, plus b
    """
    ### BEGIN SOLUTION
    s = a_slice_prev * W
    Z = float(np.sum(s) + b.item())
    ### END SOLUTION
    return Z


def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolution layer.

    Arguments:
    A_prev -- activations of the previous layer, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    W -- filters, numpy array of shape (f, f, n_C_prev, n_C)
    b -- biases, numpy array of shape (1, 1, 1, n_C)
    hparameters -- dict with the keys "stride" and "pad"

    Returns:
    Z -- convolution output, numpy array of shape (m, n_H, n_W, n_C) with
         n_H = (n_H_prev - f + 2 * pad) // stride + 1 and n_W = (n_W_prev - f + 2 * pad) // stride + 1
    cache -- (A_prev, W, b, hparameters), kept for conv_backward
    """
    ### BEGIN SOLUTION
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    ### END SOLUTION
    for i in range(m):
        ### BEGIN SOLUTION
        a_prev_pad = A_prev_pad[i]
        ### END SOLUTION
        for h in range(n_H):
            ### BEGIN SOLUTION
            vert_start = h * stride
            vert_end = vert_start + f
            ### END SOLUTION
            for w in range(n_W):
                ### BEGIN SOLUTION
                horiz_start = w * stride
                horiz_end = horiz_start + f
                ### END SOLUTION
                for c in range(n_C):
                    ### BEGIN SOLUTION
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
                    ### END SOLUTION
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def pool_forward(A_prev, hparameters, mode="max"):
    """
    Forward pass of a pooling layer.

    Arguments:
    A_prev -- input, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    hparameters -- dict with the keys "f" (window size) and "stride"
    mode -- "max" or "average"

    Returns:
    A -- output, numpy array of shape (m, n_H, n_W, n_C) with n_C = n_C_prev,
         n_H = (n_H_prev - f) // stride + 1 and n_W = (n_W_prev - f) // stride + 1
    cache -- (A_prev, hparameters), kept for pool_backward
    """
    ### BEGIN SOLUTION
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    ### END SOLUTION
    for i in range(m):
        for h in range(n_H):
            ### BEGIN SOLUTION
            vert_start = h * stride
            vert_end = vert_start + f
            ### END SOLUTION
            for w in range(n_W):
                ### BEGIN SOLUTION
                horiz_start = w * stride
                horiz_end = horiz_start + f
                ### END SOLUTION
                for c in range(n_C):
                    ### BEGIN SOLUTION
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
                    ### END SOLUTION
    cache = (A_prev, hparameters)
    return A, cache


def conv_backward(dZ, cache):
    """
    Backward pass of a convolution layer.

    Arguments:
    dZ -- gradient of the cost with respect to the output Z, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, W, b, hparameters) as returned by conv_forward

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    dW -- gradient with respect to W, numpy array of shape (f, f, n_C_prev, n_C)
    db -- gradient with respect to b, numpy array of shape (1, 1, 1, n_C)
    """
    ### BEGIN SOLUTION
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    ### END SOLUTION
    for i in range(m):
        ### BEGIN SOLUTION
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        ### END SOLUTION
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    ### BEGIN SOLUTION
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
                    ### END SOLUTION
        ### BEGIN SOLUTION
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
        ### END SOLUTION
    return dA_prev, dW, db


def create_mask_from_window(x):
    """
    Mark where the maximum of a window is.

    Arguments:
    x -- numpy array of shape (f, f)

    Returns:
    mask -- boolean numpy array of shape (f, f), True where x holds its maximum
    """
    ### BEGIN SOLUTION
    mask = x == np.max(x)
    ### END SOLUTION
    return mask


def distribute_value(dz, shape):
    """
    Spread a gradient evenly over a window, as average pooling shares its output.

    Arguments:
    dz -- a number, the gradient of one pooled output
    shape -- (n_H, n_W), the shape of the window

    Returns:
    a -- numpy array of shape (n_H, n_W), every entry dz / (n_H * n_W)
    """
    ### BEGIN SOLUTION
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    a = np.ones(shape) * average
    ### END SOLUTION
    return a


def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer.

    Arguments:
    dA -- gradient of the cost with respect to the pooling output, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, hparameters) as returned by pool_forward
    mode -- "max" or "average"

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array of the shape of A_prev
    """
    ### BEGIN SOLUTION
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    ### END SOLUTION
    for i in range(m):
        ### BEGIN SOLUTION
        a_prev = A_prev[i]
        ### END SOLUTION
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    ### BEGIN SOLUTION
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
                    ### END SOLUTION
    return dA_prev


def conv_forward_vectorized(A_prev, W, b, hparameters):
    """
    Forward pass of a convolution layer without Python loops: the same Z and cache as conv_forward.

    Arguments:
    A_prev -- activations of the previous layer, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    W -- filters, numpy array of shape (f, f, n_C_prev, n_C)
    b -- biases, numpy array of shape (1, 1, 1, n_C)
    hparameters -- dict with the keys "stride" and "pad"

    Returns:
    Z -- convolution output, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, W, b, hparameters), as conv_forward returns it
    """
    ### BEGIN SOLUTION
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    padded = zero_pad(A_prev, pad)
    # every f x f window as a view, shape (m, rows, columns, n_C_prev, f, f); keep every stride-th start
    windows = np.lib.stride_tricks.sliding_window_view(padded, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    # sum over the window's rows (y), columns (x) and channels (k) for every filter (c)
    Z = np.einsum("ihwkyx,yxkc->ihwc", windows, W) + b.reshape(1, 1, 1, -1)
    ### END SOLUTION
    cache = (A_prev, W, b, hparameters)
    return Z, cache

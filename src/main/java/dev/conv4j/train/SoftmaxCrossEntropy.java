package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Tensor;

/**
 * Softmax cross-entropy of logits {@code z [N, K]} against class labels, averaged over the
 * batch (PyTorch's {@code nn.CrossEntropyLoss()}):
 * {@code loss = (1/N) Σ_n (log Σ_k exp z[n,k] − z[n, label_n])}, computed stably (the row
 * maximum is subtracted first, sums in double). Its gradient is
 * {@code ∂loss/∂z[n,k] = (softmax(z)[n,k] − [k = label_n]) / N}.
 */
public final class SoftmaxCrossEntropy {
    private float[] logits = new float[0];

    /**
     * The mean loss, and the gradient with respect to the logits when {@code grad} is not null.
     *
     * @param z      logits {@code [N, K]}; read
     * @param labels {@code N} labels in {@code [0, K)} starting at {@code labels[offset]}; read
     * @param grad   {@code [N, K]} gradient, or {@code null}; overwritten
     * @return the mean loss over the {@code N} rows
     * @throws IllegalArgumentException if the shapes disagree or a label is out of range
     */
    public double compute(Tensor z, int[] labels, int offset, Tensor grad) {
        Check.arg(z.shape().rank() == 2, "logits: expected [N, K], got %s", z.shape());
        int n = z.shape().dim(0);
        int k = z.shape().dim(1);
        Check.arg(offset >= 0 && offset + n <= labels.length, "labels: %d labels from %d needed, the array has %d",
                n, offset, labels.length);
        if (grad != null) {
            Check.arg(grad.shape().equals(z.shape()), "grad: expected shape %s, got %s", z.shape(), grad.shape());
        }
        float[] zv = z.array();
        if (zv == null) {
            if (logits.length < z.size()) {
                logits = new float[z.size()];
            }
            zv = logits;
            z.buffer().get(0, zv, 0, z.size());
        }
        double total = 0;
        for (int r = 0; r < n; r++) {
            int label = labels[offset + r];
            Check.arg(label >= 0 && label < k, "labels: label %d of row %d is outside [0, %d)", label, r, k);
            int base = r * k;
            float max = zv[base];
            for (int c = 1; c < k; c++) {
                max = Math.max(max, zv[base + c]);
            }
            double sum = 0;
            for (int c = 0; c < k; c++) {
                sum += Math.exp(zv[base + c] - max);
            }
            double logSum = Math.log(sum) + max;
            total += logSum - zv[base + label];
            if (grad != null) {
                for (int c = 0; c < k; c++) {
                    double prob = Math.exp(zv[base + c] - logSum);
                    grad.buffer().put(base + c, (float) ((prob - (c == label ? 1 : 0)) / n));
                }
            }
        }
        if (grad != null) {
            grad.markModified();
        }
        return n == 0 ? 0 : total / n;
    }

    /** The index of the largest logit of each row of {@code z [N, K]} (the first on a tie), into {@code out}. */
    public static void argmax(Tensor z, int[] out) {
        int n = z.shape().dim(0);
        int k = z.shape().dim(1);
        Check.arg(out.length >= n, "out: needs %d elements, has %d", n, out.length);
        for (int r = 0; r < n; r++) {
            int best = 0;
            float max = z.get(r * k);
            for (int c = 1; c < k; c++) {
                float v = z.get(r * k + c);
                if (v > max) {
                    max = v;
                    best = c;
                }
            }
            out[r] = best;
        }
    }
}

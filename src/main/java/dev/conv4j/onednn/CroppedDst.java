package dev.conv4j.onednn;

import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The destination elements a cropped deconvolution's primitive does not compute (the trailing
 * columns of an output padding at least the stride, see {@link DnnlMapping}): no input reaches
 * them, so forward they hold the bias and backward only the bias's gradient reads them. The
 * positions are listed once per plan, so a call computes no index and allocates nothing.
 */
final class CroppedDst {
    private final int mb;
    private final int channels;
    private final int plane;        // spatial elements of one full destination channel
    private final int[] positions;  // spatial indices (C order) outside the primitive's smaller dims

    CroppedDst(DnnlMapping m) {
        long[] full = m.fullDstDims();
        long[] computed = m.dstDims();
        this.mb = (int) full[0];
        this.channels = (int) full[1];
        int spatialDims = full.length - 2;
        long p = 1;
        for (int d = 2; d < full.length; d++) {
            p *= full[d];
        }
        this.plane = (int) p;
        int[] idx = new int[spatialDims];
        int count = 0;
        int[] all = new int[plane];
        for (int s = 0; s < plane; s++) {
            int r = s;
            boolean outside = false;
            for (int k = spatialDims - 1; k >= 0; k--) {
                idx[k] = (int) (r % full[2 + k]);
                r /= (int) full[2 + k];
                outside |= idx[k] >= computed[2 + k];
            }
            if (outside) {
                all[count++] = s;
            }
        }
        this.positions = Arrays.copyOf(all, count);
    }

    /** Writes the bias (or zero without one) into the elements the primitive left; {@code dst} in either layout. */
    void fillBias(Tensor dst, Tensor bia) {
        FloatBuffer d = dst.buffer();
        int step = dst.layout().spatialStride(channels);
        for (int n = 0; n < mb; n++) {
            for (int c = 0; c < channels; c++) {
                float v = bia == null ? 0f : bia.get(c);
                int start = dst.layout().planeStart(n, c, channels, plane);
                for (int s : positions) {
                    d.put(start + s * step, v);
                }
            }
        }
        dst.markModified();
    }

    /** Adds the gradient of the elements the primitive left to {@code diffBia} (in order: batch, then position). */
    void addBiasGradient(Tensor diffDst, Tensor diffBia) {
        FloatBuffer dd = diffDst.buffer();
        FloatBuffer db = diffBia.buffer();
        int step = diffDst.layout().spatialStride(channels);
        for (int n = 0; n < mb; n++) {
            for (int c = 0; c < channels; c++) {
                float sum = db.get(c);
                int start = diffDst.layout().planeStart(n, c, channels, plane);
                for (int s : positions) {
                    sum += dd.get(start + s * step);
                }
                db.put(c, sum);
            }
        }
        diffBia.markModified();
    }
}

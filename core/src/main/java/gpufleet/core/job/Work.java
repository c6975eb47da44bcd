package gpufleet.core.job;

import gpufleet.core.topology.GpuType;

/** How much a job has to do, as seconds of uninterrupted training on the GPUs it is given. */
public sealed interface Work {

    /** Seconds of productive time the job needs on {@code gpus} GPUs of type {@code type}. */
    double seconds(GpuType type, int gpus);

    /** A job whose run time is known (a trace, or a user's estimate). */
    record Fixed(double seconds) implements Work {
        public Fixed {
            if (!(seconds > 0) || seconds > 20 * 365 * 86_400.0)
                throw new IllegalArgumentException("duration must be in (0 s, 20 years], got " + seconds + " s");
        }

        @Override
        public double seconds(GpuType type, int gpus) {
            return seconds;
        }
    }

    /**
     * Dense transformer pretraining: 6 FLOPs per parameter per token (forward and backward; Kaplan et
     * al. 2020, "Scaling Laws for Neural Language Models", sec. 2.1) at a model FLOPs utilisation.
     *
     * @param params parameters
     * @param tokens training tokens
     * @param mfu    fraction of the GPUs' dense BF16 peak achieved (Llama 3 405B: 38-43%, Dubey et al.
     *               2024, "The Llama 3 Herd of Models", Table 4)
     */
    record Training(double params, double tokens, double mfu) implements Work {
        public Training {
            if (!(params >= 1e6) || params > 1e15) throw new IllegalArgumentException("params must be in [1e6, 1e15], got " + params);
            if (!(tokens >= 1e6) || tokens > 1e17) throw new IllegalArgumentException("tokens must be in [1e6, 1e17], got " + tokens);
            if (!(mfu > 0) || mfu > 1) throw new IllegalArgumentException("mfu must be in (0, 1], got " + mfu);
        }

        public double flops() {
            return 6.0 * params * tokens;
        }

        @Override
        public double seconds(GpuType type, int gpus) {
            return flops() / (gpus * type.bf16Tflops() * 1e12 * mfu);
        }
    }
}

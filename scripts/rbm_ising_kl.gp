# KL divergence of RBMs trained on 4x4 Ising data (docs/boltzmann.md), from the run folders
# of scripts/rbm_ising_runs.sh:   gnuplot -e "dir='RUNS'" scripts/rbm_ising_kl.gp
if (!exists("dir")) dir = 'runs/rbm_ising'
set terminal pngcairo size 900,600 enhanced font 'sans,11'
set output 'docs/figures/rbm_ising_4x4_kl.png'
set datafile separator ','
set title "RBM (16 hidden) trained on 20 000 Wolff samples of the 4x4 Ising model"
set xlabel 'epoch'; set ylabel 'exact KL(Boltzmann || RBM) (nats)'
set logscale y; set grid; set key top right
plot for [T in "1.5 2.269185 3.5"] dir.'/exact_T'.T.'/training.csv' using 1:7 with lines lw 2 title 'exact phase, T = '.T, \
     for [T in "1.5 2.269185 3.5"] dir.'/pcd_T'.T.'/training.csv' using 1:7 with lines lw 2 dt 2 title 'PCD-10, T = '.T, \
     for [T in "1.5 2.269185 3.5"] dir.'/ptd_T'.T.'/training.csv' using 1:7 with lines lw 2 dt 3 title 'PT, decaying rate, T = '.T

# Combined figures for docs/figures.md; called by scripts/figures.sh with out= and runs= set.
set terminal pngcairo size 800,600 enhanced font 'sans,11'
set datafile separator ','
set key autotitle columnhead
set grid

do for [r in "n6_w0.1 n30_w1"] {
  set output sprintf('%s/density_radial_%s.png', out, r)
  set title sprintf('One-body radial density, 2D dot (%s): interacting vs non-interacting', r) noenhanced
  set xlabel 'r'; set ylabel 'rho(r)'
  plot sprintf('%s/%s/density_radial.csv', runs, r) using 1:2:3 with yerrorbars pt 7 ps 0.5 lc rgb '#0030a0' title 'Slater x FFNN x Pade (Coulomb)', \
       sprintf('%s/%s_free/density_radial.csv', runs, r) using 1:2:3 with yerrorbars pt 6 ps 0.5 lc rgb '#808080' title 'non-interacting, sampled', \
       sprintf('%s/%s/density_radial.csv', runs, r) using 1:4 with lines lw 2 lc rgb '#c00000' title 'non-interacting, exact'
}

set output sprintf('%s/energy_vs_omega.png', out)
set title 'Ground-state energy per particle against the trap frequency (2D dots)'
set xlabel 'omega'; set ylabel 'E / N'
set logscale xy
plot sprintf('%s/sweep_n2/summary.csv', runs) using 1:($2/2):($3/2) with yerrorlines pt 7 lw 2 title 'N = 2 (Slater x FFNN x Pade)', \
     sprintf('%s/sweep_n6/summary.csv', runs) using 1:($2/6):($3/6) with yerrorlines pt 5 lw 2 title 'N = 6 (Slater x Pade)', \
     sprintf('%s/sweep_n12/summary.csv', runs) using 1:($2/12):($3/12) with yerrorlines pt 9 lw 2 title 'N = 12 (Slater x Pade)', \
     sprintf('%s/sweep_n2/summary.csv', runs) using 1:($12 != 0 ? $12/2 : NaN) with points pt 6 ps 2 lc rgb '#c00000' title 'exact / DMC', \
     sprintf('%s/sweep_n6/summary.csv', runs) using 1:($12 != 0 ? $12/6 : NaN) with points pt 6 ps 2 lc rgb '#c00000' notitle, \
     sprintf('%s/sweep_n12/summary.csv', runs) using 1:($12 != 0 ? $12/12 : NaN) with points pt 6 ps 2 lc rgb '#c00000' notitle

# hard-sphere bosons: the one-body density per particle along x and along z, N = 10, 50, 100
set terminal pngcairo size 1000,450 font ",10"
set output sprintf('%s/hard_sphere_density_axes.png', out)
set datafile separator ','
set key top right
set multiplot layout 1,2 title "Hard-sphere bosons, elliptic trap (lambda = sqrt 8, a = 0.0043): one-body density per particle"
set xlabel 'x (trap units)'; set ylabel 'rho_x(x) / N'
set xrange [-2.5:2.5]; set yrange [*:*]
plot for [n in "10 50 100"] sprintf('%s/hs_n%s/density_axes.csv', runs, n) using 1:($2/n):($3/n) with yerrorbars pt 7 ps 0.4 title 'N = '.n, \
     sprintf('%s/hs_n10/density_axes.csv', runs) using 1:($4/10) with lines dt 2 lw 2 lc rgb 'black' title 'non-interacting'
set xlabel 'z (trap units)'; set ylabel 'rho_z(z) / N'
set xrange [-1.2:1.2]
plot for [n in "10 50 100"] sprintf('%s/hs_n%s/density_axes.csv', runs, n) using 1:($8/n):($9/n) with yerrorbars pt 7 ps 0.4 title 'N = '.n, \
     sprintf('%s/hs_n10/density_axes.csv', runs) using 1:($10/10) with lines dt 2 lw 2 lc rgb 'black' title 'non-interacting'
unset multiplot

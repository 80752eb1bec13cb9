"""Analysis of a run (pure): hourly reports, leak and regression detectors, alerts.

Everything here is a function of samples, events and settings handed in; the control
loop's analysis step (controller/control/analysis_step.py) does the reading and writing.
"""

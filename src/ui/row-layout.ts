/** Width of the label column in the panels (`Row`, and `panelText`, which draws rows without React). */
export const LABEL_WIDTH = 14;

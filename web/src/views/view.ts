/** A page of the app: its element, its title, and what to stop when the user leaves it. */
export interface View {
  element: HTMLElement;
  title: string;
  dispose?: () => void;
}

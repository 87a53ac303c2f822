/** One value of the machine state, highlighted when it changed with the last move. */
import { Text } from 'ink';

export function Value({ text, changed }: { text: string; changed: boolean }) {
  return changed ? <Text color="yellow" bold>{text}</Text> : <Text>{text}</Text>;
}
